#pragma once
// Stopping a long run cleanly: SIGTERM (a cluster preempting a job) and SIGINT (Ctrl-C) only set
// a flag; the run checks stop_requested() at safe points (between steps), saves what it needs to
// resume and ends through stopped_error(), so the process exits with the shell's code for the
// signal (143 for SIGTERM, 130 for SIGINT) and a one-line message saying how to resume.
#include <string>

#include "hc/core/error.h"

namespace hc {

// Installs the handlers for SIGTERM and SIGINT; calling it again does nothing while they are in
// place. The handler only stores the signal's number (async-signal-safe). SIGINT's handler is
// one-shot: the first Ctrl-C asks the run to stop, a second one kills the process as usual
// (force-quit); it is not installed again after a SIGINT came.
void install_stop_signals();

// Whether a stop signal arrived since install (or since clear_stop_request()).
bool stop_requested();
// The signal that asked to stop (SIGTERM or SIGINT), or 0.
int stop_signal();
// Forgets a received signal (tests, or a tool that handles a stop and goes on). SIGINT's handler,
// once used, stays the default action.
void clear_stop_request();

// The error a tool throws to end after saving, once stop_requested(): kind Stopped, exit code
// 128 + the signal (143 for SIGTERM, 130 for SIGINT; 143 when called without a signal), message
// "stopped by SIGTERM: " + how_to_resume (e.g. "saved step 1200 to ckpt/; run the same command
// again with --resume ckpt/ to go on").
Error stopped_error(const std::string& how_to_resume);

}  // namespace hc
