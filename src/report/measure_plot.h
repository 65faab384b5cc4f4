// SPDX-License-Identifier: Apache-2.0
// `measure --plot FILE.svg`: the timeline of a measured run drawn as SVG, with the recommended
// addressSpace.request on it.
#pragma once

#include <string>
#include <string_view>

#include "decide/measure_result.h"

namespace rlimit_init {

/// The timeline as an SVG document: each process's address space and resident set over time,
/// the recommended addressSpace.request a horizontal line (id "request") in the data's own
/// units (seconds across, MiB up).
std::string RenderMeasurePlot(const MeasureReport& report);

/// `text` made printable (Printable) and escaped for XML text and attribute values: the one way
/// outside text enters the plot.
std::string XmlText(std::string_view text);

}  // namespace rlimit_init
