// SPDX-License-Identifier: Apache-2.0
#include "run/run.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <tuple>

#include "decide/decision.h"
#include "run/exec.h"
#include "report/inspect.h"
#include "run/install.h"
#include "observe/limit_origin.h"
#include "cli/options.h"
#include "cli/precedence.h"
#include "run/measure.h"
#include "observe/cgroup_peak.h"
#include "observe/run_settings.h"
#include "decide/recommend.h"
#include "report/measure_plot.h"
#include "report/measure_report.h"
#include "observe/observe.h"
#include "observe/runtime.h"
#include "policy/policy.h"
#include "os/processes.h"
#include "base/quantity.h"
#include "report/json_report.h"
#include "report/text_report.h"
#include "run/supervise.h"
#include "policy/termination.h"
#include "base/text.h"
#include "base/version.h"
#include "policy/user.h"

namespace rlimit_init {
namespace {

constexpr std::size_t kMaxAccountFileBytes = 4 << 20;

// Says an error, in the chosen format, on stderr and in the termination message file. For
// `check`, whose answer is its product, everything but a bad command line goes to stdout.
class Reporter {
 public:
  Reporter(System& system, OutputFormat format, bool to_stdout)
      : system_(system), format_(format), to_stdout_(to_stdout) {}

  void set_format(OutputFormat format) { format_ = format; }
  void set_termination_path(const std::string& path) { termination_path_ = path; }

  int Fail(int exit_code, const std::string& message) {
    // One line whatever the message quotes: a value with a newline cannot forge a second
    // "rlimit-init:" line, and a huge one cannot flood the log.
    const std::string line = MessageLine(message);
    std::string text = "rlimit-init: " + line + "\n";
    std::string said = format_ == OutputFormat::kJson ? RenderErrorJson(exit_code, line) : text;
    if (exit_code == kExitUsage) {
      system_.WriteStderr(said);  // as every bad command line, whatever the subcommand
    } else {
      Say(said);
    }
    Terminate(text);
    return exit_code;
  }

  // A run's stdout belongs to the workload; `check` execs nothing and answers on stdout, so
  // that `check -o json | jq` reads it as `inspect -o json | jq` does.
  void Say(const std::string& text) {
    if (to_stdout_) {
      system_.WriteStdout(text);
    } else {
      system_.WriteStderr(text);
    }
  }

  // Kubernetes shows this file in `kubectl describe pod`; it is written only when it exists,
  // and a failure to write it changes neither the decision nor the exit code.
  void Terminate(const std::string& text) {
    if (termination_path_.empty()) return;
    system_.WriteExistingFile(termination_path_, text.substr(0, kTerminationMessageMax));
  }

 private:
  System& system_;
  OutputFormat format_;
  bool to_stdout_;
  std::string termination_path_ = kDefaultTerminationPath;
};

// Why an account file could not be read, or "" when it can be used: a missing one reads as
// empty (a FROM scratch image has none, and a numeric uid needs none).
std::string AccountFileError(const ReadResult& file) {
  if (file.ok || file.error == ENOENT) return "";
  switch (file.error) {
    case EISDIR:
      return "it is a directory";
    case EINVAL:
      return "not a regular file (a FIFO, device or socket)";
    case EFBIG:
      return "larger than " + HumanBytes(kMaxAccountFileBytes);
    default:
      return std::strerror(file.error);
  }
}

std::string FileError(const std::string& path, int error) {
  switch (error) {
    case EISDIR:
      return "cannot read policy " + path + ": it is a directory";
    case EINVAL:
      return "cannot read policy " + path + ": not a regular file (a FIFO, device or socket)";
    case EFBIG:
      return "cannot read policy " + path + ": larger than " + HumanBytes(kMaxPolicyBytes) +
             " (a policy is a few lines)";
    default:
      return "cannot read policy " + path + ": " + std::strerror(error);
  }
}

// Why measure could not write its --report or --recommend file `path`, or "" when it can: checked
// before the job runs, so that a long job's report is not lost to a typo.
std::string OwnFileProblem(System& system, const char* flag, const std::string& path,
                           std::pair<std::uint64_t, std::uint64_t>* identity) {
  if (path.empty()) return std::string("bad command line: ") + flag + ": the file name is empty; nothing was run";
  const int error = system.CheckOwnFile(path, identity);
  if (error == 0) return "";
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string why;
  switch (error) {
    case ENOENT:
      why = "the directory " + Printable(dir) + " does not exist";
      break;
    case ENOTDIR:
      why = Printable(dir) + " is not a directory";
      break;
    case EISDIR:
      why = "it is a directory";
      break;
    case EINVAL:
      why = "not a regular file (a FIFO, device or socket)";
      break;
    case EPERM:
      why = "a kernel interface (/proc, /sys), not a file of the job's";
      break;
    case ELOOP:
      why = "a symbolic link, which rlimit-init does not write through";
      break;
    default:
      why = std::strerror(error);
  }
  return std::string("bad command line: ") + flag + " " + Printable(path) +
         ": cannot write the file there: " + why + "; nothing was run";
}

// `path` with "." components and repeated slashes left out: ./report.txt and report.txt, which
// do not exist yet, name one file.
std::string LexicalPath(const std::string& path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    const std::string part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") out += (out.empty() && path[0] != '/' ? "" : "/") + part;
    start = slash + 1;
  }
  return out.empty() ? path : out;
}

// Init mode: everything exec mode does has been done (limits, signals, user), so the child
// inherits exactly what the workload would have; it only unblocks the signals the parent
// waits for. The parent keeps the workload's user and limits: it holds no privilege the
// workload lacks. With `measurement` (measure), the same supervision watches the workload
// and everything it starts, and *measurement watches them.
int SuperviseWorkload(const std::vector<std::string>& command, bool group, System& system,
                      Processes& processes, Reporter& reporter,
                      std::unique_ptr<Measurement>* measurement = nullptr) {
  if (int error = processes.BlockSignals(); error != 0) {
    return reporter.Fail(kExitInternal, std::string("blocking signals for init mode failed: ") +
                                            std::strerror(error));
  }
  // Not PID 1: orphans of the workload would go to the real init, which may not reap them.
  if (processes.Pid() != 1) processes.BecomeSubreaper();
  if (measurement != nullptr) {
    if (int prepared = processes.PrepareTrace(); prepared != 0) {
      return reporter.Fail(kExitInternal, std::string("measure cannot trace the workload: "
                                                      "socketpair failed: ") +
                                              std::strerror(prepared) + "; nothing was executed");
    }
  }
  int pid = 0;
  int error = processes.Spawn(
      [&]() {
        processes.IsolateChild();
        if (measurement != nullptr) {
          std::string failed_call;
          if (int awaited = processes.AwaitTracer(&failed_call); awaited != 0) {
            return reporter.Fail(kExitInternal, "measure cannot trace the workload: " +
                                                    failed_call + " failed: " +
                                                    std::strerror(awaited) +
                                                    "; nothing was executed");
          }
        }
        if (int reset = system.ResetSignals(); reset != 0) {
          if (measurement != nullptr) processes.TraceExecFailed();
          return reporter.Fail(kExitInternal, std::string("resetting signals failed: ") +
                                                  std::strerror(reset));
        }
        std::string message;
        int code = ExecWorkload(system, command, &message);
        if (measurement != nullptr) processes.TraceExecFailed();
        return reporter.Fail(code, message);
      },
      &pid);
  if (error != 0) {
    return reporter.Fail(kExitInternal, std::string("fork failed: ") + std::strerror(error));
  }
  if (measurement != nullptr) {
    std::string failed_call;
    if (int traced = processes.Trace(pid, &failed_call); traced != 0) {
      // ECHILD: the child failed before it handed its listener over, and has said why.
      if (traced == ECHILD) return Supervise(processes, pid, group);
      processes.Kill(pid, SIGKILL);  // it waits in its exec: nothing of the job has run
      return reporter.Fail(kExitInternal, "measure cannot trace the workload: " + failed_call +
                                              " failed: " + std::strerror(traced) +
                                              "; nothing was executed");
    }
    *measurement = std::make_unique<Measurement>(processes, pid);
  }
  processes.TrimMemory();
  const int code =
      Supervise(processes, pid, group, measurement ? measurement->get() : nullptr);
  if (measurement != nullptr) processes.EndTrace();
  return code;
}

// measure: runs the workload as init mode would, watched, then reports what it used. A workload
// that never ran (not found, not executable) gets no report: its exec's own message and code
// (127, 126) say what happened.
int MeasureWorkload(const Invocation& invocation, const Observed& observed,
                    const std::string& run_report, Json run_json, OutputFormat format,
                    System& system,
                    Processes& processes, Reporter& reporter) {
  const CgroupPeak alone = CgroupAlone(system, observed.cgroup, processes.Pid());
  const CgroupPids pids_cgroup = FindCgroupPids(system, observed.cgroup.proc_cgroup);
  const TasksPeak pids_alone = PidsAlone(system, pids_cgroup, processes.Pid());
  const RunSettings settings = ObserveRunSettings(system);
  MeasureReport report;
  int code = 0;
  // --runs: one run after another, until one fails (a failed run is no run to size for).
  for (unsigned i = 0; i < invocation.runs.value_or(1); ++i) {
    std::unique_ptr<Measurement> measurement;
    const ChildrenUsage reaped_before = processes.ReapedUsage();
    const std::uint64_t start = processes.NowMicroseconds();
    code = SuperviseWorkload(invocation.command, false, system, processes, reporter,
                             &measurement);
    const std::uint64_t end = processes.NowMicroseconds();
    if (!measurement || !measurement->usage().workload_execed) return code;
    const JobTimes times = {end - start, UsedBetween(reaped_before, processes.ReapedUsage())};
    report.runs.push_back(RunFiguresOf(code, measurement->usage(), times));
    report.usage = i == 0 ? measurement->usage() : MergeRuns(report.usage, measurement->usage());
    if (i == 0 || measurement->usage().vm_peak.value >= report.usage.vm_peak.value) {
      report.times = times;
    }
    if (code != 0) break;
  }
  report.command = invocation.command;
  report.exit_code = code;
  report.cgroup = ReadCgroupPeak(system, observed.cgroup, alone);
  // The kernel's count of the job's tasks, over every run, is exact where the samples may miss
  // a burst; the larger of the two is kept in case a task of the job left its cgroup.
  report.pids = ReadPidsPeak(system, pids_cgroup, pids_alone);
  if (report.pids.tasks) {
    report.usage.tasks_at_once = std::max(report.usage.tasks_at_once, *report.pids.tasks);
  }
  report.settings = settings;
  report.recommendation = Recommend(report.usage, report.cgroup.bytes, settings);
  const bool json = format == OutputFormat::kJson;
  if (json) {
    report.run_json = std::move(run_json);
  } else {
    report.run_text = run_report;
  }
  // The workload's exit code stands whatever happens to the report: a CI job wrapped in
  // measure must fail or pass as the job does. With -o json, a file that cannot be written is
  // said inside the one document, so that stderr stays one JSON object.
  // Writes one of measure's files; why it could not, else "".
  auto write = [&system](const std::string& path, const std::string& text, const char* what) {
    const int error = system.WriteOwnFile(path, text);
    return error == 0 ? std::string() : std::string("cannot write ") + what + " to " +
                                            Printable(path) + ": " + std::strerror(error);
  };
  if (invocation.recommend_path && report.recommendation) {
    report.recommend_error =
        write(*invocation.recommend_path,
              RenderRecommendedPolicy(*report.recommendation, report.usage,
                                      MeasuredCommand(invocation.command)),
              "the recommended policy");
  }
  if (invocation.plot_path) {
    report.plot_error = write(*invocation.plot_path, RenderMeasurePlot(report), "the plot");
  }
  std::string said = json ? RenderMeasureJson(report) : RenderMeasureText(report);
  if (invocation.report_path) {
    report.report_error = write(*invocation.report_path, said, "the report");
    if (report.report_error.empty()) {
      said.clear();
    } else {
      said = json ? RenderMeasureJson(report)
                  : "rlimit-init: " + report.report_error + "\n" + said;
    }
  }
  if (!json && !report.recommend_error.empty()) {
    said += "rlimit-init: " + report.recommend_error + "\n";
  }
  if (!json && !report.plot_error.empty()) said += "rlimit-init: " + report.plot_error + "\n";
  if (!said.empty()) system.WriteStderr(said);
  return code;
}

}  // namespace

SettingsEnvironment ReadSettingsEnvironment(System& system) {
  auto read = [&system](const char* name) -> std::optional<std::string> {
    const char* value = system.GetEnv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  return {read("RLIMIT_INIT_POLICY"), read("RLIMIT_INIT_AS"), read("RLIMIT_INIT_LIMITS"),
          read("RLIMIT_INIT_INIT"), read("RLIMIT_INIT_HOST_ROOT")};
}

int Run(const Invocation& invocation, System& system, Processes& processes,
        const LimitPair& inherited) {
  return Run(invocation, ReadSettingsEnvironment(system), system, processes, inherited);
}

int Run(const Invocation& invocation, const SettingsEnvironment& env, System& system,
        Processes& processes, const LimitPair& inherited) {
  const bool check = invocation.mode == Mode::kCheck;
  Reporter reporter(system, invocation.output.value_or(OutputFormat::kText), check);

  // 1. The subcommands that decide nothing.
  switch (invocation.mode) {
    case Mode::kHelp:
      system.WriteStdout(HelpText());
      return 0;
    case Mode::kVersion:
      system.WriteStdout(invocation.output == OutputFormat::kJson
                             ? RenderVersionJson(kVersion, kCommit)
                             : VersionText());
      return 0;
    case Mode::kInstall:
      return InstallTo(system, invocation.install_dir, invocation.quiet,
                       invocation.output == OutputFormat::kJson);
    case Mode::kInspect: {
      Observed observed = Observe(system, inherited);
      ReadResult threads = system.ReadHostFile("/proc/sys/kernel/threads-max");
      const std::uint64_t threads_max = threads.ok ? ParseThreadsMax(threads.data) : 0;
      system.WriteStdout(invocation.output == OutputFormat::kJson
                             ? RenderInspectJson(observed, threads_max)
                             : RenderInspectText(observed, threads_max));
      return 0;
    }
    case Mode::kRun:
    case Mode::kCheck:
    case Mode::kMeasure:
      break;
  }

  // measure's own output files, before anything runs.
  if (invocation.mode == Mode::kMeasure) {
    // Each file checked as WriteOwnFile will write it; no two may name the same file (the
    // one written later would overwrite the other).
    const std::tuple<const char*, const std::optional<std::string>*, const char*> files[] = {
        {"--report", &invocation.report_path, "the report"},
        {"--recommend", &invocation.recommend_path, "the recommended policy"},
        {"--plot", &invocation.plot_path, "the plot"}};
    std::pair<std::uint64_t, std::uint64_t> ids[3] = {{0, 0}, {0, 0}, {0, 0}};
    for (int i = 0; i < 3; ++i) {
      const auto& [flag, path, what] = files[i];
      if (!*path) continue;
      if (std::string problem = OwnFileProblem(system, flag, **path, &ids[i]); !problem.empty()) {
        return reporter.Fail(kExitUsage, problem);
      }
      for (int j = 0; j < i; ++j) {
        const auto& [other_flag, other_path, other_what] = files[j];
        if (!*other_path || (LexicalPath(**path) != LexicalPath(**other_path) &&
                             (ids[i].second == 0 || ids[i] != ids[j]))) {
          continue;
        }
        return reporter.Fail(kExitUsage, std::string("bad command line: ") + other_flag +
                                             " and " + flag + " both name " +
                                             Printable(**other_path) + ": " + what +
                                             " would overwrite " + other_what +
                                             "; give them two files; nothing was run");
      }
    }
  }

  // 2. The policy file, then the command line and the environment over it.
  Policy policy;
  if (const std::optional<std::string> policy_path = PolicyPath(invocation, env)) {
    ReadResult file = system.ReadUserFile(*policy_path, kMaxPolicyBytes);
    if (!file.ok) return reporter.Fail(kExitConfig, FileError(*policy_path, file.error));
    Result<Policy> parsed = ParsePolicy(file.data, *policy_path);
    if (!parsed) return reporter.Fail(kExitConfig, "invalid policy: " + parsed.error());
    policy = std::move(parsed).value();
    policy.source = Printable(policy.source);  // from here on only shown
  }
  reporter.set_termination_path(policy.termination_message_path);
  Settings settings = ApplyPrecedence(invocation, env, std::move(policy));
  const OutputFormat format = settings.format;
  reporter.set_format(format);
  if (!settings.error.empty()) {
    return reporter.Fail(kExitUsage, "bad command line: " + settings.error);
  }
  policy = std::move(settings.policy);
  const InitMode init_mode = settings.init;
  std::optional<UserIds> user;
  if (policy.user) {
    // The image's own account files, read directly: a static binary must not load NSS.
    ReadResult passwd = system.ReadUserFile("/etc/passwd", kMaxAccountFileBytes);
    ReadResult group = system.ReadUserFile("/etc/group", kMaxAccountFileBytes);
    Result<UserIds> ids = ResolveUser(ParseUserSpec(*policy.user).value(),
                                      {passwd.data, AccountFileError(passwd)},
                                      {group.data, AccountFileError(group)});
    if (!ids) return reporter.Fail(kExitConfig, "invalid policy: " + policy.source + ": user: " +
                                                    ids.error());
    user = std::move(ids).value();
  }

  // 3. Observe and decide.
  Observed observed = Observe(system, inherited);
  Decision decision = Decide(policy, observed);
  // The runtime the workload starts matters only to a finite grant: read it then, and decide
  // again with it (Decide is pure and cheap; a workload that is no known runtime costs none).
  if (!AnyRefused(decision) && decision.after.soft != kUnlimited &&
      !invocation.command.empty()) {
    observed.runtime = ObserveRuntime(system, invocation.command, policy.env);
    if (observed.runtime.kind != RuntimeKind::kNone) decision = Decide(policy, observed);
  }

  // 4. Report a refusal or a check; a grant is reported once it has been applied.
  std::string text =
      RenderText(decision, observed, policy, invocation.quiet, invocation.verbose, check);
  Json report_json;
  if (format == OutputFormat::kJson) report_json = DecisionJson(decision, observed, policy, check);
  const std::string report = format == OutputFormat::kJson ? DumpJson(report_json) : text;
  if (AnyRefused(decision)) {
    reporter.Say(report);
    reporter.Terminate(text);
    return kExitRefused;
  }
  if (check) {
    reporter.Say(report);
    return 0;
  }
  const bool measure = invocation.mode == Mode::kMeasure;

  // 5. Set the decided limits just before exec: until now rlimit-init ran under its own lifted
  // soft limit, so the limit it was asked to lift never stopped it. The report follows, so
  // that it never says "raised" about a limit the kernel refused to set.
  if (int error = system.SetLimit(Resource::kAs, decision.after); error != 0) {
    return reporter.Fail(kExitInternal, "setrlimit(RLIMIT_AS, soft " +
                                            BytesOrUnlimited(decision.after.soft) + ", hard " +
                                            BytesOrUnlimited(decision.after.hard) +
                                            ") failed: " + std::strerror(error) +
                                            "; the decided limits were not applied");
  }
  for (const LimitDecision& limit : decision.limits) {
    if (limit.after == limit.before) continue;
    if (int error = system.SetLimit(limit.resource, limit.after); error != 0) {
      return reporter.Fail(kExitInternal, "setrlimit(" + std::string(Row(limit.resource).kernel_name) +
                                              ", soft " + BytesOrUnlimited(limit.after.soft) +
                                              ", hard " + BytesOrUnlimited(limit.after.hard) +
                                              ") failed: " + std::strerror(error) +
                                              "; the decided limits were not applied");
    }
  }
  if (!measure) reporter.Say(report);  // measure says it with what the run used

  // 6. What the workload inherits: no signal mask or ignored signals of ours, and the user
  // the policy names, dropped last because raising a hard limit needs the privileges.
  if (int error = system.ResetSignals(); error != 0) {
    return reporter.Fail(kExitInternal, std::string("resetting signals failed: ") +
                                            std::strerror(error));
  }
  if (user) {
    std::string failed_call;
    if (int error = system.SwitchUser(user->uid, user->gid, user->groups, &failed_call)) {
      // Only a missing privilege is fixed by running as root.
      return reporter.Fail(kExitInternal, "cannot switch to user " + DescribeIds(*user) + ": " +
                                              failed_call + ": " + std::strerror(error) +
                                              (error == EPERM
                                                   ? "; run rlimit-init as root, or remove "
                                                     "user: from the policy"
                                                   : ""));
    }
    // As gosu and su-exec do, HOME is the new user's (an inherited /root is neither its nor
    // writable by it). USER and LOGNAME name it when passwd does, as login(1) sets them, and
    // are removed otherwise rather than left naming the user rlimit-init started as.
    const char* name = user->name ? user->name->c_str() : nullptr;
    const std::pair<const char*, const char*> variables[] = {
        {"HOME", user->home.c_str()}, {"USER", name}, {"LOGNAME", name}};
    for (const auto& [variable, value] : variables) {
      if (int error = system.SetEnv(variable, value); error != 0) {
        return reporter.Fail(kExitInternal, std::string("cannot set ") + variable + ": " +
                                                std::strerror(error));
      }
    }
  }

  // The policy's env: last, so that it wins over what was inherited and over HOME, USER and
  // LOGNAME above: the fix it carries (MALLOC_ARENA_MAX=2) must hold whatever the image says.
  // It goes into this process's own environment, before execvp looks up a bare command name:
  // a PATH set here decides which program runs, as `env PATH=DIR cmd` does (coreutils: "
  // Modifications to PATH take effect prior to searching for COMMAND") and as runc does with
  // a container's Env before its LookPath. LD_PRELOAD and the like reach only the workload's
  // loader: rlimit-init is static and already running.
  for (const auto& [name, value] : policy.env) {
    if (int error = system.SetEnv(name.c_str(), value.c_str()); error != 0) {
      return reporter.Fail(kExitInternal, "cannot set " + name + ": " + std::strerror(error));
    }
  }

  // 7. Become the workload, or, in init mode or for measure, its parent.
  if (measure) {
    return MeasureWorkload(invocation, observed, report, std::move(report_json), format, system,
                           processes, reporter);
  }
  InitMode init = ResolveInitMode(init_mode, processes.Pid());
  if (init == InitMode::kExec) {
    std::string message;
    int code = ExecWorkload(system, invocation.command, &message);
    return reporter.Fail(code, message);
  }
  return SuperviseWorkload(invocation.command, init == InitMode::kGroup, system, processes,
                           reporter);
}

}  // namespace rlimit_init
