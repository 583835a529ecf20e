#pragma once
// The loss curve of a training run as an SVG picture (plain text, no library): one panel per
// series (e.g. total, pullback, entailment, mining), value against step, each with its own
// y range and labelled axes. Torch-free.
#include <filesystem>
#include <string>
#include <vector>

namespace hc {

class StepLog;

// Writes the series of `fields` found in `log` (fields with no values are left out) to `path`
// through an AtomicFile. A log with no values at all still gives a valid picture saying so.
void write_loss_curve_svg(const std::filesystem::path& path, const StepLog& log,
                          const std::vector<std::string>& fields, const std::string& title);

}  // namespace hc
