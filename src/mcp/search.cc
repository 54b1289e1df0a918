#include "mcp/search.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <map>
#include <string>

namespace linkhub::mcp {

namespace {

// Words too common to tell actions apart.
bool IsStopWord(std::string_view w) {
  static constexpr std::string_view kStop[] = {
      "a",   "an",  "and", "the", "of", "for",  "to",   "in",   "on",  "my",  "me",   "is",
      "it",  "its", "by",  "or",  "be", "with", "from", "this", "all", "get", "i",    "what",
      "how", "do",  "can", "you", "we", "our",  "that", "are",  "at",  "use", "plaid"};
  return std::find(std::begin(kStop), std::end(kStop), w) != std::end(kStop);
}

// A crude English stem, enough that "balance" finds "balances" and "syncing" finds "sync".
std::string Stem(std::string w) {
  auto strip = [&w](std::string_view suffix, size_t keep) {
    if (w.size() >= suffix.size() + keep && w.ends_with(suffix)) {
      w.resize(w.size() - suffix.size());
      return true;
    }
    return false;
  };
  if (strip("ies", 2)) {
    w += 'y';
  } else if (!strip("ing", 3) && !strip("ed", 3) && !w.ends_with("ss")) {
    strip("s", 3);
  }
  return w;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && !IsStopWord(word)) {
      out.push_back(Stem(std::move(word)));
    }
    word.clear();
  };
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// One action's words, each counted with its field's weight: a word of the name or label says
// more about what an action is than one of its description.
struct Document {
  const plaid::Action* action;
  std::map<std::string, double> tf;
  double length = 0;
};

void AddWords(Document& d, std::string_view text, double weight) {
  for (auto& w : Words(text)) {
    d.tf[w] += weight;
    d.length += weight;
  }
}

const std::vector<Document>& Index() {
  static const std::vector<Document> index = [] {
    std::vector<Document> docs;
    for (const auto& a : plaid::Catalogue()) {
      Document d{&a, {}, 0};
      std::string id = a.id;
      std::replace(id.begin(), id.end(), '_', ' ');
      AddWords(d, id, 3);
      AddWords(d, a.label, 3);
      for (const auto& tag : a.tags) {
        AddWords(d, tag, 2);
      }
      AddWords(d, a.product, 2);
      AddWords(d, a.description, 1);
      if (a.output.is_object()) {
        if (const auto* fields = a.output.get_object().if_contains("fields");
            fields && fields->is_object()) {
          for (const auto& [name, what] : fields->get_object()) {
            AddWords(d, name, 1);
          }
        }
      }
      docs.push_back(std::move(d));
    }
    return docs;
  }();
  return index;
}

}  // namespace

std::vector<SearchHit> SearchActions(std::string_view query, size_t limit,
                                     const std::function<bool(const plaid::Action&)>& eligible) {
  constexpr double kK1 = 1.2;
  constexpr double kB = 0.75;
  const auto& docs = Index();
  std::vector<std::string> terms = Words(query.substr(0, 1000));
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  double average = 0;
  for (const auto& d : docs) {
    average += d.length;
  }
  average = docs.empty() ? 1 : average / static_cast<double>(docs.size());
  double best_possible = 0;
  std::vector<double> idf(terms.size());
  for (size_t t = 0; t < terms.size(); ++t) {
    double n = 0;
    for (const auto& d : docs) {
      n += d.tf.count(terms[t]) > 0 ? 1 : 0;
    }
    double total = static_cast<double>(docs.size());
    idf[t] = std::log(1 + (total - n + 0.5) / (n + 0.5));
    best_possible += idf[t] * (kK1 + 1);
  }
  std::vector<SearchHit> hits;
  for (const auto& d : docs) {
    if (eligible && !eligible(*d.action)) {
      continue;
    }
    double score = 0;
    for (size_t t = 0; t < terms.size(); ++t) {
      auto it = d.tf.find(terms[t]);
      if (it == d.tf.end()) {
        continue;
      }
      double tf = it->second;
      score += idf[t] * tf * (kK1 + 1) / (tf + kK1 * (1 - kB + kB * d.length / average));
    }
    if (score > 0) {
      hits.push_back(SearchHit{d.action, std::min(1.0, score / best_possible)});
    }
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
  if (hits.size() > limit) {
    hits.resize(limit);
  }
  return hits;
}

}  // namespace linkhub::mcp
