#pragma once
// Wall time of the stages of a run (load_data, load_model, embed_texts, ...), in the order they
// ran, for the "timing" object of result JSONs: {"load_data_s": .., "embed_texts_s": .., "total_s"}.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace hc {

class StageTimer {
 public:
  StageTimer();

  // Ends the current stage (begun at construction or at the previous done()) under this name;
  // a name given twice adds up. Returns the stage's seconds.
  double done(const std::string& stage);
  // Adds seconds measured elsewhere to a stage without moving the clock (a stage that ran
  // inside another one, e.g. opening the model within "embed").
  void add(const std::string& stage, double seconds);
  // Seconds since the previous done() (or construction), without ending the stage.
  double lap() const;

  // {"<stage>_s": seconds, ..., "total_s": seconds since construction}.
  nlohmann::ordered_json to_json() const;

 private:
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  nlohmann::ordered_json stages_ = nlohmann::ordered_json::object();
};

}  // namespace hc
