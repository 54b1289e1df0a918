#include "core/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/metric_families.h"

namespace linkhub::metrics {
namespace {

TEST(MetricsTest, CountersRenderWithHelpTypeAndLabelsInOrder) {
  Registry r;
  auto& requests = r.AddCounter("x_requests_total", "Requests.", {"route", "status"});
  requests.With({"/b", "200"}).Add(2);
  requests.With({"/a", "404"}).Add();
  requests.With({"/b", "200"}).Add();
  EXPECT_EQ(r.Render(),
            "# HELP x_requests_total Requests.\n"
            "# TYPE x_requests_total counter\n"
            "x_requests_total{route=\"/a\",status=\"404\"} 1\n"
            "x_requests_total{route=\"/b\",status=\"200\"} 3\n");
}

TEST(MetricsTest, AFamilyWithoutLabelsShowsZeroBeforeItsFirstUse) {
  Registry r;
  r.AddCounter("x_total", "X.");
  r.AddGauge("x_open", "Open.").With({}).Set(-3);
  EXPECT_EQ(r.Render(),
            "# HELP x_total X.\n# TYPE x_total counter\nx_total 0\n"
            "# HELP x_open Open.\n# TYPE x_open gauge\nx_open -3\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.AddCounter("x_total", "a \\ b\nc", {"v"}).With({"q\"\\\n"}).Add();
  EXPECT_EQ(r.Render(),
            "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\n"
            "x_total{v=\"q\\\"\\\\\\n\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  static constexpr std::array<double, 2> kBounds = {0.5, 1};
  Registry r;
  auto& h = r.AddHistogram("x_seconds", "X.", {"op"}, kBounds).With({"get"});
  h.Observe(0.25);
  h.Observe(0.5);  // a bound is inclusive
  h.Observe(0.75);
  h.Observe(3);
  EXPECT_EQ(r.Render(),
            "# HELP x_seconds X.\n# TYPE x_seconds histogram\n"
            "x_seconds_bucket{op=\"get\",le=\"0.5\"} 2\n"
            "x_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
            "x_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "x_seconds_sum{op=\"get\"} 4.5\n"
            "x_seconds_count{op=\"get\"} 4\n");
}

TEST(MetricsTest, CallbacksAreReadAtScrapeTime) {
  Registry r;
  double depth = 1;
  r.AddCallback("x_depth", "Depth.", "gauge", [&depth] { return depth; });
  depth = 7.5;
  EXPECT_EQ(r.Render(), "# HELP x_depth Depth.\n# TYPE x_depth gauge\nx_depth 7.5\n");
}

TEST(MetricsTest, ConcurrentRecordingLosesNothing) {
  Registry r;
  auto& c = r.AddCounter("x_total", "X.", {"t"});
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 10000; ++i) {
        c.With({t % 2 == 0 ? "even" : "odd"}).Add();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(c.With({"even"}).Value(), 20000u);
  EXPECT_EQ(c.With({"odd"}).Value(), 20000u);
}

TEST(MetricsTest, TheProcessRegistryHoldsLinkhubsFamiliesAndProcessMetrics) {
  Linkhub().exchanges.With({"linked"}).Add();
  std::string text = Default().Render();
  for (const char* name : {"# TYPE linkhub_http_requests_total counter",
                           "# TYPE linkhub_http_request_duration_seconds histogram",
                           "# TYPE linkhub_plaid_requests_total counter",
                           "linkhub_exchanges_total{outcome=\"linked\"}",
                           "process_resident_memory_bytes ", "process_start_time_seconds "}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace linkhub::metrics
