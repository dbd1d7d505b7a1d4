// Google Benchmark micro-benchmarks for every stage a message goes through in
// mailtriaged, each timed over the same corpus: one benchmark iteration is one pass
// over every message, so items_per_second is messages per CPU-second of that stage
// alone (bytes_per_second counts raw message bytes).
//
//   codec/decode      milter frames of a message (as Postfix sends them) -> commands
//   codec/encode      a verdict's replies (header edits + final reply) -> bytes
//   session           decode + the session state machine, negotiation to end of message
//   parse             mime::parse
//   extract           features::extract_with_pii, naming the model's split columns (daemon)
//   predict           the tree walk's class probabilities
//   reasons           the tree walk's contributions (Saabas)
//   verdict           scorer::judge: predict + thresholds + named reasons
//   policy            policy::decide with the built-in policy (headers, HMAC off)
//   engine            engine::judge on a milter transaction: everything above but codec
//
// Corpus: $MAILTRIAGE_BENCH_CORPUS (default /work/shared/corpus/train) when it exists,
// else the feature fixtures in the source tree (the smoke run in ctest uses those);
// $MAILTRIAGE_BENCH_LIMIT caps the number of messages; $MAILTRIAGE_BENCH_MODEL names a
// model bundle the scoring stages and the engine use (default: the built-in default
// model), so the latency of a model of your own, or of two training options, can be
// compared. Usage:
//   build/release/tests/mailtriage_stages_bench [--benchmark_filter=parse] [...]
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "mailtriage/config/config.hpp"
#include "mailtriage/engine/engine.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/features/extract.hpp"
#include "mailtriage/milter/client.hpp"
#include "mailtriage/milter/codec.hpp"
#include "mailtriage/milter/session.hpp"
#include "mailtriage/mime/parse.hpp"
#include "mailtriage/policy/decide.hpp"
#include "mailtriage/util/log.hpp"

namespace fs = std::filesystem;
using namespace mailtriage;

namespace {

struct corpus {
  std::vector<std::string> raw;  // as stored (LF)
  std::size_t bytes = 0;
};

const corpus& messages() {
  static const corpus c = [] {
    corpus out;
    const char* env = std::getenv("MAILTRIAGE_BENCH_CORPUS");
    fs::path dir = env ? fs::path(env) : fs::path("/work/shared/corpus/train");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) dir = MAILTRIAGE_BENCH_FIXTURES;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".eml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::size_t limit = SIZE_MAX;
    if (const char* l = std::getenv("MAILTRIAGE_BENCH_LIMIT")) limit = std::strtoull(l, nullptr, 10);
    if (files.size() > limit) files.resize(limit);
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      out.bytes += s.str().size();
      out.raw.push_back(s.str());
    }
    std::fprintf(stderr, "corpus: %zu messages, %zu bytes from %s\n", out.raw.size(), out.bytes, dir.c_str());
    return out;
  }();
  return c;
}

void count(benchmark::State& state) {
  const auto& c = messages();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.raw.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
}

// The loop every stage benchmark runs: `work` on each corpus item, every iteration, its
// result kept from the optimiser; then the corpus counts (messages, bytes).
template <class Items, class Work>
void each_message(benchmark::State& state, const Items& items, Work&& work) {
  for (auto _ : state)
    for (const auto& item : items) {
      auto result = work(item);
      benchmark::DoNotOptimize(result);
    }
  count(state);
}

// The frames Postfix's milter8 sends for one message after negotiation (macros,
// connect, HELO, MAIL, RCPT, DATA, headers, EOH, 64 KiB body chunks, EOM), encoded.
std::string postfix_stream(const std::string& raw) {
  using namespace milter;
  std::string out;
  auto add = [&](command c) { out += encode(c); };
  add(option_negotiation{kProtocolVersion, 0x1FF, SMFI_CURR_PROT, {}});
  std::vector<std::pair<std::string, std::string>> macros;
  macros.emplace_back("j", "mx.example.test");
  macros.emplace_back("{client_addr}", "192.0.2.1");
  add(define_macros{SMFIC_CONNECT, macros});
  connect_info ci;
  ci.hostname = "client.example";
  ci.family = '4';
  ci.port = 40000;
  ci.address = "192.0.2.1";
  add(ci);
  add(helo{"client.example"});
  macros.clear();
  macros.emplace_back("i", "4ABCDEF123");
  add(define_macros{SMFIC_MAIL, macros});
  mail_from m;
  m.args.push_back("<sender@example.org>");
  add(m);
  rcpt_to r;
  r.args.push_back("<rcpt@example.net>");
  add(r);
  add(data_command{});
  auto parts = split_raw_message(raw, false);
  for (auto& h : parts.headers) add(std::move(h));
  add(end_of_headers{});
  for (std::size_t off = 0; off < parts.body.size(); off += kChunkSize)
    add(body_chunk{parts.body.substr(off, kChunkSize)});
  add(end_of_message{});
  return out;
}

const std::vector<std::string>& streams() {
  static const std::vector<std::string> s = [] {
    std::vector<std::string> out;
    for (const auto& raw : messages().raw) out.push_back(postfix_stream(raw));
    return out;
  }();
  return s;
}

// Both are leaked on purpose: a booster freed after XGBoost's own statics at exit crashes.
// $MAILTRIAGE_BENCH_MODEL, or "" for the built-in default model.
std::string bench_model_dir() {
  const char* dir = std::getenv("MAILTRIAGE_BENCH_MODEL");
  return dir ? dir : "";
}

std::shared_ptr<const engine::engine> the_engine() {
  static const auto* e = new std::shared_ptr<const engine::engine>([] {
    log::set_level(log::level::warning);  // the verdict line is not what is measured here
    auto cfg = config::load_text(config::builtin_yaml(), "built-in");
    cfg.model.path = bench_model_dir();
    return engine::build_engine(cfg);
  }());
  return *e;
}

const engine::scorer& the_scorer() {
  static const auto* s =
      new std::shared_ptr<const engine::scorer>(engine::load_scorer(bench_model_dir(), mime::limits{}, 5));
  return **s;
}

void BM_codec_decode(benchmark::State& state) {
  const auto& s = streams();
  for (auto _ : state) {
    for (const auto& bytes : s) {
      milter::frame_decoder d(milter::kMaxData1M);
      d.feed(bytes);
      for (;;) {
        auto f = d.next();
        if (!f || !f.value()) break;
        auto c = milter::decode_command(*f.value());
        benchmark::DoNotOptimize(c);
      }
    }
  }
  count(state);
}
BENCHMARK(BM_codec_decode)->Name("codec/decode")->Unit(benchmark::kMillisecond);

void BM_codec_encode(benchmark::State& state) {
  // What a verdict typically writes back: one header added, one forged one removed, accept.
  std::vector<milter::reply> replies;
  replies.push_back(milter::change_header{1, "X-Mailtriage-Forged", ""});
  replies.push_back(milter::add_header{"X-Mailtriage", "category=ham; score=0.981; model=0123456789ab; queue=4ABCDEF123"});
  replies.push_back(milter::add_header{"X-Mailtriage-Reasons", "body:\"patch\" -1.20, subj:\"re\" -0.40"});
  replies.push_back(milter::accept{});
  const std::size_t n = messages().raw.size();
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      std::string out;
      for (const auto& r : replies) milter::append_encoded(out, r);
      benchmark::DoNotOptimize(out);
    }
  }
  count(state);
}
BENCHMARK(BM_codec_encode)->Name("codec/encode")->Unit(benchmark::kMillisecond);

void BM_session(benchmark::State& state) {
  // As connection::run() does it: frames decoded in the decoder's buffer, into one
  // reused command.
  const auto& s = streams();
  for (auto _ : state) {
    for (const auto& bytes : s) {
      milter::session ses(milter::session_limits{}, milter::session_wants{});
      milter::frame_decoder d(milter::kMaxData1M);
      milter::command c;
      d.feed(bytes);
      for (;;) {
        auto f = d.next_view();
        if (!f || !f.value()) break;
        if (milter::decode_command_into(*f.value(), c)) break;
        auto step = ses.on_command(std::move(c));
        if (step.message_ready) {
          auto t = ses.take_transaction();
          benchmark::DoNotOptimize(t);
          auto done = ses.complete(milter::decision{});
          benchmark::DoNotOptimize(done);
        }
      }
    }
  }
  count(state);
}
BENCHMARK(BM_session)->Name("session")->Unit(benchmark::kMillisecond);

void BM_parse(benchmark::State& state) {
  each_message(state, messages().raw, [](const std::string& raw) { return mime::parse(raw); });
}
BENCHMARK(BM_parse)->Name("parse")->Unit(benchmark::kMillisecond);

// Parsed messages and their extractions, made once for the later stages.
struct prepared {
  std::vector<mime::message> parsed;
  std::vector<features::extraction> extracted;
  std::vector<features::token_names> names;
  std::vector<std::pair<std::vector<std::uint32_t>, std::vector<float>>> rows;  // with token evidence
};
const prepared& prep() {
  static const prepared p = [] {
    prepared out;
    const auto& sc = the_scorer();
    for (const auto& raw : messages().raw) {
      out.parsed.push_back(mime::parse(raw));
      out.names.emplace_back();
      out.extracted.push_back(sc.extract(out.parsed.back(), {}, out.names.back()));
      auto cols = out.extracted.back().vector.indices;
      auto vals = out.extracted.back().vector.values;
      sc.model().prepare(cols, vals);
      out.rows.emplace_back(std::move(cols), std::move(vals));
    }
    return out;
  }();
  return p;
}

void BM_extract(benchmark::State& state) {
  const auto& sc = the_scorer();
  each_message(state, prep().parsed, [&](const mime::message& m) {
    features::token_names names;
    return sc.extract(m, {}, names);
  });
}
BENCHMARK(BM_extract)->Name("extract")->Unit(benchmark::kMillisecond);

void BM_predict(benchmark::State& state) {
  model::tree_explainer ex(the_scorer().model().model);
  each_message(state, prep().rows, [&](const auto& row) { return ex.predict(row.first, row.second); });
}
BENCHMARK(BM_predict)->Name("predict")->Unit(benchmark::kMillisecond);

void BM_reasons(benchmark::State& state) {
  model::tree_explainer ex(the_scorer().model().model);
  each_message(state, prep().rows, [&](const auto& row) { return ex.contributions(row.first, row.second, 1); });
}
BENCHMARK(BM_reasons)->Name("reasons")->Unit(benchmark::kMillisecond);

void BM_verdict(benchmark::State& state) {
  const auto& p = prep();
  const auto& sc = the_scorer();
  for (auto _ : state)
    for (std::size_t i = 0; i < p.parsed.size(); ++i) {
      auto v = sc.judge(p.parsed[i], p.extracted[i], false, &p.names[i]);
      benchmark::DoNotOptimize(v);
    }
  count(state);
}
BENCHMARK(BM_verdict)->Name("verdict")->Unit(benchmark::kMillisecond);

void BM_policy(benchmark::State& state) {
  const auto& p = prep();
  const auto& sc = the_scorer();
  const auto cfg = config::load_text(config::builtin_yaml(), "built-in");
  std::vector<policy::verdict> verdicts;
  for (std::size_t i = 0; i < p.parsed.size(); ++i) verdicts.push_back(sc.judge(p.parsed[i], p.extracted[i], false, &p.names[i]));
  policy::message_facts facts;
  facts.queue_id = "4ABCDEF123";
  facts.sender = "sender@example.org";
  facts.recipients.push_back("rcpt@example.net");
  std::vector<policy::inbound_header> inbound;
  inbound.push_back({"Subject", 1, "a subject line"});
  inbound.push_back({"From", 1, {}});
  inbound.push_back({"X-Mailtriage", 1, {}});
  const std::string key = "0123456789abcdef0123456789abcdef";
  each_message(state, verdicts,
               [&](const policy::verdict& v) { return policy::decide(cfg.policy, v, facts, inbound, key); });
}
BENCHMARK(BM_policy)->Name("policy")->Unit(benchmark::kMillisecond);

void BM_engine(benchmark::State& state) {
  // Transactions as the session hands them over (CRLF raw message, headers, macros).
  std::vector<milter::transaction> txns;
  for (const auto& bytes : streams()) {
    milter::session ses(milter::session_limits{}, milter::session_wants{});
    milter::frame_decoder d(milter::kMaxData1M);
    d.feed(bytes);
    for (;;) {
      auto f = d.next();
      if (!f || !f.value()) break;
      auto c = milter::decode_command(*f.value());
      if (!c) break;
      if (ses.on_command(std::move(c.value())).message_ready) txns.push_back(ses.take_transaction());
    }
  }
  auto e = the_engine();
  each_message(state, txns, [&](const milter::transaction& t) { return e->judge(t); });
}
BENCHMARK(BM_engine)->Name("engine")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
