// SPDX-License-Identifier: Apache-2.0
#include "os/system_real.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace rlimit_init {
namespace {

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Reads up to `limit` bytes; sets `*error` and returns false on failure.
bool ReadAll(int fd, std::size_t limit, std::string* out, int* error) {
  char buffer[8192];
  while (out->size() <= limit) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = errno;
      return false;
    }
    if (n == 0) return true;
    out->append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

int WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// Filesystems whose regular files are kernel settings rather than data (a symlinked directory
// can lead into them past any check of the path's text).
bool IsKernelInterface(__fsword_t type) {
  constexpr __fsword_t kConfigFsMagic = 0x62656570;  // not in linux/magic.h
  if (type == kConfigFsMagic) return true;
  switch (type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case BPF_FS_MAGIC:
    case EFIVARFS_MAGIC:
    case PSTOREFS_MAGIC:
      return true;
    default:
      return false;
  }
}

rlim_t ToRlim(std::uint64_t value) { return value == kUnlimited ? RLIM_INFINITY : value; }
std::uint64_t FromRlim(rlim_t value) { return value == RLIM_INFINITY ? kUnlimited : value; }

// The kernel's number for each Resource, in the table's order.
constexpr int kKernelResource[kResourceCount] = {
    RLIMIT_AS,     RLIMIT_CORE,  RLIMIT_CPU,    RLIMIT_DATA,   RLIMIT_FSIZE,      RLIMIT_LOCKS,
    RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC,   RLIMIT_RSS,
    RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK,
};

__rlimit_resource_t KernelResource(Resource resource) {
  return static_cast<__rlimit_resource_t>(kKernelResource[static_cast<std::size_t>(resource)]);
}

// Opens PATH for writing (with O_CREAT in CREATE, mode 0644) without following a last symlink,
// and writes DATA only into a regular file on a filesystem that holds files, never into a
// kernel interface; nothing is truncated before those checks. Returns 0 or an errno value.
int WriteRegularFile(const std::string& path, std::string_view data, int create) {
  if (path.find('\0') != std::string::npos) return EINVAL;
  Fd fd(open(path.c_str(), O_WRONLY | create | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW,
             0644));
  if (fd.get() < 0) return errno;
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EINVAL;
  struct statfs fs;
  if (fstatfs(fd.get(), &fs) != 0) return errno;
  if (IsKernelInterface(fs.f_type)) return EPERM;
  if (ftruncate(fd.get(), 0) != 0) return errno;
  return WriteAll(fd.get(), data);
}

}  // namespace

ReadResult RealSystem::ReadHostFile(const std::string& path) {
  return ReadHostFileUpTo(path, kMaxHostFileBytes);
}

ReadResult RealSystem::ReadHostFileUpTo(const std::string& path, std::size_t max_bytes) {
  Fd fd(open((host_root_ + path).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return {false, "", errno};
  ReadResult result;
  if (!ReadAll(fd.get(), max_bytes, &result.data, &result.error)) return result;
  if (result.data.size() > max_bytes) {
    result.data.resize(max_bytes);
    result.cut = true;
  }
  result.ok = true;
  return result;
}

bool RealSystem::HostPathExists(const std::string& path) {
  struct stat st;
  return lstat((host_root_ + path).c_str(), &st) == 0;
}

int RealSystem::ListHostDirectory(const std::string& path, std::vector<std::string>* names) {
  DIR* dir = opendir((host_root_ + path).c_str());
  if (dir == nullptr) return errno;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names->emplace_back(name);
  }
  closedir(dir);
  return 0;
}

unsigned RealSystem::AffinityCpuCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

ReadResult RealSystem::ReadUserFile(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK so that a FIFO cannot hang the container's first process.
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return {false, "", errno};
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return {false, "", errno};
  if (S_ISDIR(st.st_mode)) return {false, "", EISDIR};
  if (!S_ISREG(st.st_mode)) return {false, "", EINVAL};
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return {false, "", EFBIG};
  ReadResult result;
  if (!ReadAll(fd.get(), max_bytes, &result.data, &result.error)) return result;
  if (result.data.size() > max_bytes) return {false, "", EFBIG};  // grew while read
  result.ok = true;
  return result;
}

ReadResult RealSystem::ReadFileAt(const std::string& path, std::uint64_t offset,
                                  std::size_t size) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return {false, "", errno};
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return {false, "", errno};
  if (!S_ISREG(st.st_mode)) return {false, "", EINVAL};
  ReadResult result;
  result.data.resize(size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd.get(), result.data.data() + done, size - done,
                      static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {false, "", errno};
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  result.data.resize(done);
  result.ok = true;
  return result;
}

bool RealSystem::IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

int RealSystem::GetLimit(Resource resource, LimitPair* limit) {
  struct rlimit r;
  if (getrlimit(KernelResource(resource), &r) != 0) return errno;
  *limit = {FromRlim(r.rlim_cur), FromRlim(r.rlim_max)};
  return 0;
}

int RealSystem::SetLimit(Resource resource, const LimitPair& limit) {
  struct rlimit r = {ToRlim(limit.soft), ToRlim(limit.hard)};
  return setrlimit(KernelResource(resource), &r) == 0 ? 0 : errno;
}

std::uint64_t RealSystem::PageSize() { return static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)); }

const char* RealSystem::GetEnv(const char* name) { return std::getenv(name); }

int RealSystem::SetEnv(const char* name, const char* value) {
  const int done = value != nullptr ? setenv(name, value, 1) : unsetenv(name);
  return done == 0 ? 0 : errno;
}

int RealSystem::WriteExistingFile(const std::string& path, std::string_view data) {
  // As root, this must never become a write through a link or into a kernel interface: the
  // last component may not be a symlink (O_NOFOLLOW; /dev/stderr and /dev/fd/N are refused so
  // too), nothing is created or truncated before the checks, and only a regular file on a
  // filesystem that holds files is written.
  return WriteRegularFile(path, data, 0);
}

int RealSystem::WriteOwnFile(const std::string& path, std::string_view data) {
  return WriteRegularFile(path, data, O_CREAT);
}

int RealSystem::CheckOwnFile(const std::string& path,
                             std::pair<std::uint64_t, std::uint64_t>* identity) {
  *identity = {0, 0};
  if (path.empty() || path.find('\0') != std::string::npos) return EINVAL;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) return ELOOP;  // WriteOwnFile opens with O_NOFOLLOW
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (!S_ISREG(st.st_mode)) return EINVAL;
    struct statfs fs;
    if (statfs(path.c_str(), &fs) != 0) return errno;
    if (IsKernelInterface(fs.f_type)) return EPERM;
    if (access(path.c_str(), W_OK) != 0) return errno;
    *identity = {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
    return 0;
  }
  if (errno != ENOENT) return errno;
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (stat(dir.c_str(), &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  return access(dir.c_str(), W_OK | X_OK) == 0 ? 0 : errno;
}

int RealSystem::InstallSelf(const std::string& dir, const std::string& name, unsigned mode,
                            std::string* failed_call) {
  Fd source(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (source.get() < 0) {
    *failed_call = "open(/proc/self/exe)";
    return errno;
  }
  std::string base = dir + (dir.empty() || dir.back() != '/' ? "/" : "");
  // Messages name the pattern, not the random name: the file is gone by the time they print.
  const std::string pattern = base + "." + name + ".XXXXXX";
  std::string temporary = pattern;
  int raw = mkostemp(temporary.data(), O_CLOEXEC);
  if (raw < 0) {
    *failed_call = "mkostemp(" + pattern + ")";
    return errno;
  }
  Fd target(raw);
  // Any failure below removes the half-written temporary file.
  auto fail = [&](const std::string& call, int error) {
    *failed_call = call;
    unlink(temporary.c_str());
    return error;
  };
  char buffer[65536];
  for (;;) {
    ssize_t n = read(source.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read(/proc/self/exe)", errno);
    if (n == 0) break;
    if (int error = WriteAll(target.get(), {buffer, static_cast<std::size_t>(n)}); error != 0) {
      return fail("write(" + pattern + ")", error);
    }
  }
  if (fchmod(target.get(), mode) != 0) return fail("fchmod(" + pattern + ")", errno);
  if (fsync(target.get()) != 0) return fail("fsync(" + pattern + ")", errno);
  if (close(target.release()) != 0) return fail("close(" + pattern + ")", errno);
  std::string final_path = base + name;
  if (rename(temporary.c_str(), final_path.c_str()) != 0) {
    return fail("rename(" + pattern + ", " + final_path + ")", errno);
  }
  return 0;
}

void RealSystem::IgnoreWriteSignals() {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
}

int RealSystem::ResetSignals() {
  sigset_t empty;
  sigemptyset(&empty);
  if (sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) return errno;
  // Handlers are reset by execve itself; only SIG_IGN is inherited, so only it is undone.
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current;
    if (sigaction(sig, nullptr, &current) != 0) continue;  // numbers glibc reserves
    if (current.sa_handler == SIG_IGN && sig != SIGKILL && sig != SIGSTOP) {
      signal(sig, SIG_DFL);
    }
  }
  return 0;
}

int RealSystem::SwitchUser(std::uint32_t uid, std::uint32_t gid,
                           const std::vector<std::uint32_t>& groups, std::string* failed_call) {
  std::vector<gid_t> list(groups.begin(), groups.end());
  if (setgroups(list.size(), list.data()) != 0) {
    *failed_call = "setgroups";
    return errno;
  }
  if (setresgid(gid, gid, gid) != 0) {
    *failed_call = "setresgid(" + std::to_string(gid) + ")";
    return errno;
  }
  if (setresuid(uid, uid, uid) != 0) {
    *failed_call = "setresuid(" + std::to_string(uid) + ")";
    return errno;
  }
  // A drop that can be undone is no drop: getting root back must now fail.
  if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
    *failed_call = "setuid(0) succeeded after the drop";
    return EPERM;
  }
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) {
    *failed_call = "verifying the new ids";
    return EPERM;
  }
  return 0;
}

void RealSystem::WriteStderr(std::string_view text) { WriteAll(STDERR_FILENO, text); }

void RealSystem::WriteStdout(std::string_view text) { WriteAll(STDOUT_FILENO, text); }

int RealSystem::Exec(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  return errno;
}

}  // namespace rlimit_init
