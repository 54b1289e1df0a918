#pragma once

// Internal to the http module (it includes Asio): lets an asynchronous client started from a
// server handler run on that handler's own executor, so that the request, its outbound call
// and the reply stay on one thread instead of waking others.

#include <boost/asio/any_io_executor.hpp>

namespace linkhub::http::internal {

// The executor of the server handler running on this thread, or null.
inline thread_local const boost::asio::any_io_executor* current_handler_executor = nullptr;

// Sets current_handler_executor for its lifetime.
class HandlerExecutorScope {
 public:
  explicit HandlerExecutorScope(const boost::asio::any_io_executor& ex)
      : previous_(current_handler_executor) {
    current_handler_executor = &ex;
  }
  ~HandlerExecutorScope() { current_handler_executor = previous_; }
  HandlerExecutorScope(const HandlerExecutorScope&) = delete;
  HandlerExecutorScope& operator=(const HandlerExecutorScope&) = delete;

 private:
  const boost::asio::any_io_executor* previous_;
};

}  // namespace linkhub::http::internal
