// SPDX-License-Identifier: Apache-2.0
// `measure --plot FILE.svg`: the timeline drawn, each process's address space (solid) and
// resident set (dashed) over time, with the recommended addressSpace.request as a red line.
//
// Written by hand, not by an XML library: Debian bookworm's writers do not fit the static
// binary's 2.5 MiB (pugixml 1.13's static library adds 196 KiB stripped to a static program;
// tinyxml2 ships no static library; libxml2's is larger still). The document is a fixed frame
// of elements whose only outside text (the command, process names) goes through XmlText, one
// function, and every number through Number.
#include "report/measure_plot.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "base/limit.h"
#include "base/quantity.h"
#include "base/text.h"

namespace rlimit_init {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr int kLeft = 90, kTop = 50, kWidth = 680, kHeight = 340;
constexpr std::array<const char*, 5> kColours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
                                                 "#8c564b"};

// A coordinate to 9 significant digits: an integer (a request in MiB) exactly. Not
// std::to_chars(double), whose shortest-form tables add 140 KiB to the static binary.
std::string Number(double value) {
  char buffer[32];
  const int length = std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return std::string(buffer, length > 0 ? static_cast<std::size_t>(length) : 0);
}

// The smallest of 1, 2, 5 x 10^n MiB that cuts [0, top] into at most 8 steps.
double TickStep(double top) {
  double step = 1;
  for (;;) {
    for (double factor : {1.0, 2.0, 5.0}) {
      if (top / (step * factor) <= 8) return step * factor;
    }
    step *= 10;
  }
}

}  // namespace

std::string XmlText(std::string_view text) {
  std::string out;
  for (char c : Printable(text)) {  // no control character is left to make the XML invalid
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderMeasurePlot(const MeasureReport& report) {
  const Timeline& timeline = report.usage.timeline;
  const std::uint64_t request =
      report.recommendation ? report.recommendation->request : kUnlimited;
  // The axes: time in seconds from the job's start, memory in MiB.
  double end_s = static_cast<double>(timeline.interval_us) / 1e6;
  double top_mib = 1;
  for (const ProcessTimeline& process : timeline.processes) {
    for (const TimelinePoint& p : process.points) {
      end_s = std::max(end_s, static_cast<double>(p.at_us) / 1e6);
      top_mib = std::max(top_mib, static_cast<double>(std::max(p.vm_size, p.vm_rss)) / kMiB);
    }
  }
  if (request != kUnlimited) top_mib = std::max(top_mib, static_cast<double>(request) / kMiB);
  const double step = TickStep(top_mib * 1.05);
  top_mib = step * static_cast<double>(static_cast<long>(top_mib * 1.05 / step) + 1);
  const double time_step = TickStep(end_s);
  auto x_px = [&](double s) { return Number(kLeft + s / end_s * kWidth); };
  auto y_px = [&](double mib) { return Number(kTop + kHeight - mib / top_mib * kHeight); };

  const std::string command = XmlText(MeasuredCommand(report.command));
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"460\" "
      "viewBox=\"0 0 800 460\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<title>rlimit-init measure: " + command + "</title>\n"
      "<rect width=\"800\" height=\"460\" fill=\"white\"/>\n"
      "<text x=\"" + std::to_string(kLeft) + "\" y=\"20\" font-size=\"14\">" +
      command + "</text>\n"
      "<text x=\"" + std::to_string(kLeft) + "\" y=\"38\" fill=\"#555\">address space (solid) and "
      "resident set (dashed) of each process, sampled every " +
      std::to_string(timeline.interval_us / 1000) + " ms</text>\n";
  // Grid and labels, in pixels.
  out += "<g id=\"axes\" stroke=\"#ddd\">\n";
  for (double mib = 0; mib <= top_mib + step / 2; mib += step) {
    out += "<line x1=\"" + std::to_string(kLeft) + "\" x2=\"" + std::to_string(kLeft + kWidth) +
           "\" y1=\"" + y_px(mib) + "\" y2=\"" + y_px(mib) + "\"/>\n";
    out += "<text class=\"y-tick\" data-mib=\"" + Number(mib) + "\" x=\"" +
           std::to_string(kLeft - 6) + "\" y=\"" + y_px(mib) +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\" stroke=\"none\">" + Number(mib) +
           " MiB</text>\n";
  }
  for (double s = 0; s <= end_s + time_step / 2; s += time_step) {
    out += "<text x=\"" + x_px(s) + "\" y=\"" + std::to_string(kTop + kHeight + 18) +
           "\" text-anchor=\"middle\" stroke=\"none\">" + Number(s) + " s</text>\n";
  }
  out += "</g>\n";
  // The data, in its own units: seconds across, MiB up. The transform maps them onto the
  // frame, so each value is written once, as measured; strokes keep their width.
  out += "<g id=\"data\" fill=\"none\" stroke-width=\"1.5\" transform=\"translate(" +
         std::to_string(kLeft) + " " + std::to_string(kTop + kHeight) + ") scale(" +
         Number(kWidth / end_s) + " " + Number(-kHeight / top_mib) + ")\">\n";
  // The five processes that reached the most address space get colours, the rest grey.
  std::vector<std::pair<std::uint64_t, std::size_t>> by_size;
  for (std::size_t i = 0; i < timeline.processes.size(); ++i) {
    std::uint64_t most = 0;
    for (const TimelinePoint& p : timeline.processes[i].points) most = std::max(most, p.vm_size);
    by_size.push_back({most, i});
  }
  std::stable_sort(by_size.begin(), by_size.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string legend;
  for (std::size_t rank = 0; rank < by_size.size(); ++rank) {
    const ProcessTimeline& process = timeline.processes[by_size[rank].second];
    const std::string colour = rank < kColours.size() ? kColours[rank] : "#bbb";
    std::string size, resident;
    for (const TimelinePoint& p : process.points) {
      const std::string x = Number(static_cast<double>(p.at_us) / 1e6);
      size += x + "," + Number(static_cast<double>(p.vm_size) / kMiB) + " ";
      resident += x + "," + Number(static_cast<double>(p.vm_rss) / kMiB) + " ";
    }
    const std::string which = "pid " + std::to_string(process.pid) + " (" + process.name + ")";
    out += "<polyline class=\"vm-size\" data-pid=\"" + std::to_string(process.pid) +
           "\" stroke=\"" + colour + "\" vector-effect=\"non-scaling-stroke\" points=\"" + size +
           "\"><title>" + XmlText(which) + ": address space</title></polyline>\n";
    out += "<polyline class=\"vm-rss\" data-pid=\"" + std::to_string(process.pid) +
           "\" stroke=\"" + colour + "\" stroke-dasharray=\"4 3\" "
           "vector-effect=\"non-scaling-stroke\" points=\"" + resident + "\"><title>" +
           XmlText(which) + ": resident set</title></polyline>\n";
    if (rank < kColours.size()) {
      legend += "<text x=\"" + std::to_string(kLeft + 10) + "\" y=\"" +
                std::to_string(kTop + 14 + 16 * static_cast<int>(rank)) + "\" fill=\"" + colour +
                "\">" + XmlText(which) + "</text>\n";
    }
  }
  if (request != kUnlimited) {
    const double mib = static_cast<double>(request) / kMiB;
    out += "<line id=\"request\" x1=\"0\" x2=\"" + Number(end_s) + "\" y1=\"" + Number(mib) +
           "\" y2=\"" + Number(mib) + "\" stroke=\"#d62728\" stroke-width=\"2\" "
           "vector-effect=\"non-scaling-stroke\"/>\n";
  }
  out += "</g>\n" + legend;
  if (request != kUnlimited) {
    out += "<text x=\"" + std::to_string(kLeft + kWidth) + "\" y=\"" +
           y_px(static_cast<double>(request) / kMiB) + "\" dy=\"-4\" text-anchor=\"end\" "
           "fill=\"#d62728\">recommended addressSpace.request " + XmlText(ToQuantity(request)) +
           "</text>\n";
  } else {
    out += "<text x=\"" + std::to_string(kLeft + kWidth) + "\" y=\"" + std::to_string(kTop + 14) +
           "\" text-anchor=\"end\" fill=\"#d62728\">recommended addressSpace.request: " +
           (report.recommendation ? "unlimited" : "none (no process was measured)") +
           "</text>\n";
  }
  if (timeline.samples == 0) {
    out += "<text x=\"" + std::to_string(kLeft + kWidth / 2) + "\" y=\"" +
           std::to_string(kTop + kHeight / 2) + "\" text-anchor=\"middle\">no sample: the job "
           "ended before the first one, " + std::to_string(timeline.interval_us / 1000) +
           " ms in</text>\n";
  }
  out += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" +
         std::to_string(kWidth) + "\" height=\"" + std::to_string(kHeight) +
         "\" fill=\"none\" stroke=\"#333\"/>\n</svg>\n";
  return out;
}

}  // namespace rlimit_init
