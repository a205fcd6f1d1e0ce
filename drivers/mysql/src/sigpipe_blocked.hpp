// Blocks SIGPIPE on the calling thread for a scope, and swallows one raised meanwhile: for
// library calls that may write to a socket that is already shut down (OpenSSL writes with
// write(2), without MSG_NOSIGNAL), without touching the process's signal disposition.
#pragma once

#include <csignal>
#include <ctime>

#include <pthread.h>

namespace cacheme::drivers::mysql {

class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;  // not ours to swallow
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    if (!was_pending_) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace cacheme::drivers::mysql
