#include "core/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/result.h"

namespace linkhub::metrics {

namespace {

constexpr char kKeySeparator = '\x1f';

constexpr std::array<double, 14> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};

// Prometheus reads Go's float syntax; the shortest round-trip form ("0.005", "1e+06") is one.
void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

void AppendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  AppendEscaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double micros = std::max(0.0, value) * 1e6;
  sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(micros)), std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

double Histogram::Sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

std::span<const double> LatencyBuckets() { return kLatencyBuckets; }

std::string FamilyBase::LabelText(std::string_view key, std::string_view extra) const {
  if (label_names_.empty() && extra.empty()) {
    return "";
  }
  std::string out = "{";
  size_t start = 0;
  for (size_t i = 0; i < label_names_.size(); ++i) {
    size_t end = key.find(kKeySeparator, start);
    std::string_view value =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? key.size() : end + 1;
    if (i > 0) {
      out += ',';
    }
    out += label_names_[i];
    out += "=\"";
    AppendEscaped(out, value, true);
    out += '"';
  }
  if (!extra.empty()) {
    if (!label_names_.empty()) {
      out += ',';
    }
    out += extra;
  }
  out += '}';
  return out;
}

std::string_view FamilyBase::JoinKey(LabelValues values) {
  thread_local std::string scratch;
  scratch.clear();
  bool first = true;
  for (std::string_view v : values) {
    if (!first) {
      scratch += kKeySeparator;
    }
    first = false;
    scratch += v;
  }
  return scratch;
}

template <class Series>
Series& Family<Series>::With(LabelValues values) {
  LINKHUB_CHECK(values.size() == label_names().size());
  std::string_view key = JoinKey(values);
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  if (it != series_.end()) {
    return *it->second;
  }
  return Make(key);
}

template <class Series>
Series& Family<Series>::Make(std::string_view key) {
  std::unique_ptr<Series> made;
  if constexpr (std::is_same_v<Series, Histogram>) {
    made = std::make_unique<Histogram>(bounds_);
  } else {
    made = std::make_unique<Series>();
  }
  Series& out = *made;
  series_.emplace(std::string(key), std::move(made));
  return out;
}

template <class Series>
template <class Fn>
void Family<Series>::ForEach(Fn&& fn) const {
  std::lock_guard lock(mu_);
  std::vector<const std::pair<const std::string, std::unique_ptr<Series>>*> sorted;
  sorted.reserve(series_.size());
  for (const auto& s : series_) {
    sorted.push_back(&s);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* s : sorted) {
    fn(s->first, *s->second);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Entry {
  std::string name;
  std::string help;
  std::string type;
  std::unique_ptr<FamilyBase> family;
  std::function<double()> read;  // for a callback
  std::function<void(std::string&)> render;
};

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::Check(std::string_view name) const {
  for (const auto& e : entries_) {
    LINKHUB_CHECK(e->name != name);
  }
}

template <class Series, class RenderSeries>
Family<Series>& Registry::Add(std::string name, std::string help,
                              std::vector<std::string> label_names, std::string type,
                              std::span<const double> bounds, RenderSeries render_series) {
  std::lock_guard lock(mu_);
  Check(name);
  bool plain = label_names.empty();
  auto family = std::make_unique<Family<Series>>(name, help, std::move(label_names), bounds);
  auto* f = family.get();
  if (plain) {
    f->Make("");  // shown from the start, as 0
  }
  auto e = std::make_unique<Entry>();
  e->render = [f, render_series](std::string& out) {
    f->ForEach(
        [&](std::string_view key, const Series& series) { render_series(out, *f, key, series); });
  };
  e->name = std::move(name);
  e->help = std::move(help);
  e->type = std::move(type);
  e->family = std::move(family);
  entries_.push_back(std::move(e));
  return *f;
}

namespace {

// One sample line: NAME SUFFIX LABELS VALUE.
void AppendSample(std::string& out, const FamilyBase& f, std::string_view suffix,
                  const std::string& labels, std::string_view value) {
  out += f.name();
  out += suffix;
  out += labels;
  out += ' ';
  out += value;
  out += '\n';
}

// A counter's or a gauge's series: one line with its value.
constexpr auto kValueSample = [](std::string& out, const FamilyBase& f, std::string_view key,
                                 const auto& series) {
  AppendSample(out, f, "", f.LabelText(key), std::to_string(series.Value()));
};

}  // namespace

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  return Add<Counter>(std::move(name), std::move(help), std::move(label_names), "counter", {},
                      kValueSample);
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  return Add<Gauge>(std::move(name), std::move(help), std::move(label_names), "gauge", {},
                    kValueSample);
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::span<const double> bounds) {
  LINKHUB_CHECK(std::is_sorted(bounds.begin(), bounds.end()));
  return Add<Histogram>(
      std::move(name), std::move(help), std::move(label_names), "histogram", bounds,
      [bounds](std::string& out, const FamilyBase& f, std::string_view key, const Histogram& h) {
        std::vector<uint64_t> counts = h.CumulativeCounts();
        for (size_t i = 0; i <= bounds.size(); ++i) {
          std::string le = "le=\"";
          if (i < bounds.size()) {
            AppendNumber(le, bounds[i]);
          } else {
            le += "+Inf";
          }
          le += '"';
          AppendSample(out, f, "_bucket", f.LabelText(key, le), std::to_string(counts[i]));
        }
        std::string sum;
        AppendNumber(sum, h.Sum());
        AppendSample(out, f, "_sum", f.LabelText(key), sum);
        AppendSample(out, f, "_count", f.LabelText(key), std::to_string(counts.back()));
      });
}

void Registry::AddCallback(std::string name, std::string help, std::string type,
                           std::function<double()> read) {
  std::lock_guard lock(mu_);
  Check(name);
  LINKHUB_CHECK(type == "gauge" || type == "counter");
  auto e = std::make_unique<Entry>();
  e->read = std::move(read);
  e->render = [entry = e.get()](std::string& out) {
    out += entry->name;
    out += ' ';
    AppendNumber(out, entry->read());
    out += '\n';
  };
  e->name = std::move(name);
  e->help = std::move(help);
  e->type = std::move(type);
  entries_.push_back(std::move(e));
}

std::string Registry::Render() const {
  std::string out;
  out.reserve(16 << 10);
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    AppendHeader(out, e->name, e->help, e->type);
    e->render(out);
  }
  return out;
}

Registry& Default() {
  // Never destroyed: threads may still count while the process exits.
  static auto* registry = new Registry();
  return *registry;
}

namespace {

// Fields of /proc/self/stat after the command name (which may hold spaces, so the parse starts
// after its closing parenthesis): index 0 is field 3, the state.
std::vector<std::string> ProcStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  size_t close = line.rfind(')');
  std::vector<std::string> out;
  if (close == std::string::npos) {
    return out;
  }
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  while (rest >> field) {
    out.push_back(field);
  }
  return out;
}

double StatField(int number) {  // `number` as proc(5) counts, from 1
  auto fields = ProcStatFields();
  size_t i = static_cast<size_t>(number - 3);
  if (number < 3 || i >= fields.size()) {
    return 0;
  }
  return std::strtod(fields[i].c_str(), nullptr);
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

void AddProcessMetrics(Registry& registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double started = BootTimeSeconds() + StatField(22) / ticks;
  registry.AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
                       [page] { return StatField(24) * page; });
  registry.AddCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
                       [] { return StatField(23); });
  registry.AddCallback("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                       "counter", [ticks] { return (StatField(14) + StatField(15)) / ticks; });
  registry.AddCallback("process_open_fds", "Number of open file descriptors.", "gauge", [] {
    std::error_code ec;
    double n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
      ++n;
    }
    return n;
  });
  registry.AddCallback("process_start_time_seconds",
                       "Start time of the process since the Unix epoch in seconds.", "gauge",
                       [started] { return started; });
}

}  // namespace linkhub::metrics
