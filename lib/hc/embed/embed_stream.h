#pragma once
// hc embed --stream: the model opened once, then one request per input line answered with one
// JSON line, written and flushed before the next line is read, so a pipeline pays the forward
// pass per input rather than a process start (libtorch's start-up alone takes about a second).
//
// Requests, one per line:
//   {"text": "a dog"}                  a text
//   {"image": "photos/1.jpg"}          an image file (relative to the working directory)
//   {"id": ..., "text": ...}           any JSON value as "id" is echoed back
//   a dog                              a line not starting with '{' is a text as it is (an
//                                      empty line is the empty text); '\r\n' ends a line too
// Responses, in request order:
//   {"id": ..., "kind": "text"|"image", "embedding": [...]}   unit length unless --raw; each
//       float printed with the fewest digits that read back as the same float32
//   {"id": ..., "error": "line N: ..."}                        and the stream goes on
// "id" is the request's own, else its line number (from 1).
#include <cstddef>
#include <iosfwd>
#include <string>

namespace hc {

class EmbeddingEngine;

struct EmbedStreamSummary {
  std::size_t requests = 0;           // lines answered
  std::size_t failed = 0;             // of them, answered with an error
  std::size_t first_failed_line = 0;  // 0 when none failed
  bool stopped = false;               // ended by SIGTERM / SIGINT rather than the input's end
};

// The response line (no '\n') to one request line; a bad request (not JSON, no "text" or
// "image", a missing or undecodable image, a failing model) is answered with an error line
// and failed set, never thrown.
std::string answer_stream_request(EmbeddingEngine& engine, const std::string& line,
                                  std::size_t line_number, bool& failed);

// Answers each line of input_fd (not owned) on out, flushing after each response, until the end
// of the input or a stop signal (hc/core/stop_signal.h; the request in flight is answered first).
EmbedStreamSummary serve_embed_stream(EmbeddingEngine& engine, int input_fd, std::ostream& out);

}  // namespace hc
