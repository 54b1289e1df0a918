#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/strings.h"

namespace linkhub::metrics {

// Counters, gauges and histograms with labels, rendered in Prometheus' text exposition format
// (version 0.0.4). A family is one metric name with fixed label names; each combination of label
// values is one series, made on first use and kept for the registry's life. Label values must be
// few (route patterns, endpoints, status codes — never ids or paths as received), since every
// series stays in memory and in every scrape.
//
// Thread-safety: everything here is safe from any thread. Recording into a series is lock-free
// once the series is found; finding it takes the family's mutex for one hash look-up, without
// allocating after the series exists.

// Series of a family, by label values in the order of the family's label names.
using LabelValues = std::initializer_list<std::string_view>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations counted in buckets with upper bounds `bounds` (ascending, in the unit of the
// metric, seconds for latencies), plus their sum and count.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void Observe(double value);
  // Cumulative counts per bound, then the +Inf bucket (the count); and the sum.
  std::vector<uint64_t> CumulativeCounts() const;
  double Sum() const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (the last is +Inf)
  std::atomic<uint64_t> sum_micros_{0};               // the sum in millionths of the unit
};

// Latency buckets in seconds, 0.5 ms to 10 s: the action path answers in about a millisecond, a
// Plaid call takes from tens of milliseconds to its deadline.
std::span<const double> LatencyBuckets();

template <class Series>
class Family;

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  // Families live as long as the registry; the references stay valid. `name` and `help` follow
  // Prometheus' conventions (snake_case, a unit suffix, _total for counters). Registering a name
  // twice is a programming error (checked).
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::span<const double> bounds);
  // A value read at scrape time (a queue's depth, the process's memory), `type` "gauge" or
  // "counter". `read` runs on the scraping thread and must not block for long.
  void AddCallback(std::string name, std::string help, std::string type,
                   std::function<double()> read);

  // Every family in registration order; series in label order, so that output is stable.
  std::string Render() const;

 private:
  struct Entry;
  // Registers a family whose series `render_series(out, family, key, series)` writes.
  template <class Series, class RenderSeries>
  Family<Series>& Add(std::string name, std::string help, std::vector<std::string> label_names,
                      std::string type, std::span<const double> bounds, RenderSeries render_series);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
  void Check(std::string_view name) const;       // REQUIRES: mu_ held
};

// The base of a family: its name, help, label names and series, keyed by the label values joined
// with '\x1f' (a byte a route or a status never holds).
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // The '{a="x",b="y"}' text of a joined key, with `extra` (say le="0.5") appended inside.
  std::string LabelText(std::string_view key, std::string_view extra = {}) const;

 protected:
  // Joins `values` into the thread's scratch key (no allocation once it has grown).
  static std::string_view JoinKey(LabelValues values);

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

template <class Series>
class Family final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::span<const double> bounds)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names)), bounds_(bounds) {}

  // The series with these label values (as many as the family's label names: checked).
  Series& With(LabelValues values);
  // Calls `fn(labels_text, series)` for every series in label order, under the family's lock.
  template <class Fn>
  void ForEach(Fn&& fn) const;

 private:
  Series& Make(std::string_view key);
  std::span<const double> bounds_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Series>, StringHash, std::equal_to<>>
      series_;  // guarded by mu_
  friend class Registry;
};

// The process's registry, which linkhub's modules record into and `GET /metrics` renders. One per
// process, as Prometheus clients keep it: the modules that count (the HTTP server, the Plaid
// client, the stores) are built without knowing of each other or of the server that shows them.
// Tests that need a clean registry make their own.
Registry& Default();

// The standard process_* metrics (resident and virtual memory, open descriptors, CPU seconds,
// start time), read from /proc at scrape time. Call once per registry.
void AddProcessMetrics(Registry& registry);

}  // namespace linkhub::metrics
