// Training, saving, loading and scoring through XGBoost's C API on generated data.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "mailtriage/model/bundle.hpp"
#include "mailtriage/model/evaluation.hpp"
#include "mailtriage/model/metrics.hpp"
#include "mailtriage/model/trainer.hpp"
#include "mailtriage/model/tree_explainer.hpp"

namespace mailtriage::model {
namespace {

namespace fs = std::filesystem;

// Rows whose class is told by columns 0..classes-1 (noisy), plus sparse noise columns.
training_data generate(std::size_t n, std::size_t classes, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.6f);
  std::uniform_int_distribution<std::uint32_t> noise_col(10, 199);
  training_data d;
  d.rows.columns = 200;
  for (std::size_t i = 0; i < n; ++i) {
    int label = static_cast<int>(i % classes);
    std::vector<std::uint32_t> cols;
    std::vector<float> vals;
    for (std::uint32_t c = 0; c < classes; ++c) {
      cols.push_back(c);
      vals.push_back((static_cast<int>(c) == label ? 1.5f : 0.0f) + noise(rng));
    }
    std::uint32_t extra = noise_col(rng);
    cols.push_back(extra);
    vals.push_back(1.0f);
    d.rows.add_row(cols, vals);
    d.labels.push_back(label);
  }
  return d;
}

// The same rows with every column moved up by `offset` (a wider schema).
training_data shifted(training_data d, std::uint32_t offset) {
  for (auto& c : d.rows.indices) c += offset;
  d.rows.columns += offset;
  return d;
}

train_params quick() {
  train_params p;
  p.max_rounds = 40;
  p.early_stopping_rounds = 10;
  return p;
}

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("mt-model-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

manifest make_manifest(std::vector<std::string> labels) {
  manifest m;
  m.labels = std::move(labels);
  m.negative_label = m.labels[0];
  m.schema_fingerprint = std::string(64, 'a');
  m.schema_version = "test";
  return m;
}

TEST(Model, BinaryModelLearnsAndRoundTrips) {
  auto train_set = generate(600, 2, 1);
  auto valid_set = generate(200, 2, 2);
  auto r = train(train_set, valid_set, 2, quick(), nullptr);
  EXPECT_GT(r.best_round, 0);
  EXPECT_EQ(r.model.classes(), 2u);
  auto probs = r.model.predict(valid_set.rows);
  std::vector<float> spam;
  std::vector<char> truth;
  for (std::size_t i = 0; i < valid_set.labels.size(); ++i) {
    spam.push_back(probs[i * 2 + 1]);
    truth.push_back(valid_set.labels[i] == 1);
  }
  std::vector<bool> pos(truth.begin(), truth.end());
  std::vector<bool> as_bool(pos.begin(), pos.end());
  std::unique_ptr<bool[]> flags(new bool[pos.size()]);
  for (std::size_t i = 0; i < pos.size(); ++i) flags[i] = pos[i];
  EXPECT_GT(roc_auc(spam, std::span<const bool>(flags.get(), pos.size())), 0.9);

  auto dir = temp_dir("binary");
  write_bundle(dir, r.model, make_manifest({"ham", "spam"}));
  auto loaded = load_bundle(dir, std::string(64, 'a'));
  EXPECT_EQ(loaded.model.predict(valid_set.rows), probs) << "reloaded model predicts identically";
  EXPECT_EQ(loaded.info.labels, (std::vector<std::string>{"ham", "spam"}));
  EXPECT_EQ(loaded.id.size(), 12u);
  fs::remove_all(dir);
}

TEST(Model, MulticlassSingleRowMatchesBatch) {
  auto train_set = generate(900, 3, 3);
  auto valid_set = generate(150, 3, 4);
  auto r = train(train_set, valid_set, 3, quick(), nullptr);
  EXPECT_EQ(r.model.classes(), 3u);
  auto batch = r.model.predict(valid_set.rows);
  for (std::size_t row = 0; row < 5; ++row) {
    auto b = valid_set.rows.indptr[row], e = valid_set.rows.indptr[row + 1];
    std::span<const std::uint32_t> cols(valid_set.rows.indices.data() + b, e - b);
    std::span<const float> vals(valid_set.rows.values.data() + b, e - b);
    auto one = r.model.predict(cols, vals);
    ASSERT_EQ(one.size(), 3u);
    for (std::size_t c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(one[c], batch[row * 3 + c]);
    float sum = one[0] + one[1] + one[2];
    EXPECT_NEAR(sum, 1.0f, 1e-5);
    // Contributions: a block per class of columns+1; they sum to the class margin.
    auto contrib = r.model.contributions(cols, vals, false);
    EXPECT_EQ(contrib.size(), 3u * 201u);
    auto approx = r.model.contributions(cols, vals, true);
    EXPECT_EQ(approx.size(), 3u * 201u);
  }
}

TEST(TreeExplainer, MatchesXGBoostsApproximateContributions) {
  for (std::size_t classes : {2u, 3u}) {
    auto train_set = generate(600, classes, 21);
    auto valid_set = generate(100, classes, 22);
    auto r = train(train_set, valid_set, classes, quick(), nullptr);
    tree_explainer ex(r.model);
    EXPECT_GT(ex.trees(), 0u);
    for (std::size_t row = 0; row < 20; ++row) {
      auto b = valid_set.rows.indptr[row], e = valid_set.rows.indptr[row + 1];
      std::span<const std::uint32_t> cols(valid_set.rows.indices.data() + b, e - b);
      std::span<const float> vals(valid_set.rows.values.data() + b, e - b);
      auto reference = r.model.contributions(cols, vals, true);
      for (std::size_t cls = 0; cls < classes; ++cls) {
        const float* block = reference.data() + cls * (r.model.columns() + 1);
        std::vector<float> mine(r.model.columns(), 0.0f);
        for (auto [col, w] : ex.contributions(cols, vals, cls)) mine[col] = w;
        for (std::size_t c = 0; c < r.model.columns(); ++c)
          ASSERT_NEAR(mine[c], block[c], 1e-4) << "classes " << classes << " row " << row << " class " << cls
                                               << " column " << c;
      }
    }
  }
}

TEST(TreeExplainer, PredictsWhatXGBoostPredicts) {
  for (std::size_t classes : {2u, 3u}) {
    auto train_set = generate(600, classes, 31);
    auto valid_set = generate(200, classes, 32);
    auto r = train(train_set, valid_set, classes, quick(), nullptr);
    tree_explainer walker(r.model);
    auto reference = r.model.predict(valid_set.rows);
    for (std::size_t row = 0; row < valid_set.rows.rows(); ++row) {
      auto b = valid_set.rows.indptr[row], e = valid_set.rows.indptr[row + 1];
      auto mine = walker.predict({valid_set.rows.indices.data() + b, e - b}, {valid_set.rows.values.data() + b, e - b});
      ASSERT_EQ(mine.size(), classes);
      for (std::size_t c = 0; c < classes; ++c)
        ASSERT_NEAR(mine[c], reference[row * classes + c], 1e-6) << "classes " << classes << " row " << row;
    }
  }
}

// The rows of a data set, as the explainer takes them.
using row_view = tree_explainer::row;
std::vector<row_view> rows_of(const training_data& d) {
  std::vector<row_view> out;
  for (std::size_t r = 0; r < d.rows.rows(); ++r) {
    auto b = d.rows.indptr[r], e = d.rows.indptr[r + 1];
    out.push_back({{d.rows.indices.data() + b, e - b}, {d.rows.values.data() + b, e - b}});
  }
  return out;
}

// walk() from a thread that has never walked: scratch nobody used before.
tree_explainer::result fresh_walk(const tree_explainer& ex, row_view row) {
  tree_explainer::result r;
  std::thread([&] { r = ex.walk(row.cols, row.vals, true); }).join();
  return r;
}

void expect_same(const tree_explainer::result& a, const tree_explainer::result& b, const std::string& what) {
  EXPECT_EQ(a.probabilities, b.probabilities) << what;
  EXPECT_EQ(a.top, b.top) << what;
  EXPECT_EQ(a.contributions, b.contributions) << what;
}

TEST(TreeExplainer, OneWalkGivesPredictionTopClassAndItsContributions) {
  for (std::size_t classes : {2u, 3u}) {
    auto train_set = generate(600, classes, 41);
    auto valid_set = generate(60, classes, 42);
    auto r = train(train_set, valid_set, classes, quick(), nullptr);
    tree_explainer ex(r.model);
    for (auto row : rows_of(valid_set)) {
      auto w = ex.walk(row.cols, row.vals, true);
      EXPECT_EQ(w.probabilities, ex.predict(row.cols, row.vals));
      auto top = static_cast<std::size_t>(std::max_element(w.probabilities.begin(), w.probabilities.end()) -
                                          w.probabilities.begin());
      EXPECT_EQ(w.top, top);
      EXPECT_EQ(w.contributions, ex.contributions(row.cols, row.vals, top));
      EXPECT_FALSE(w.contributions.empty());
      auto bare = ex.walk(row.cols, row.vals, false);
      EXPECT_EQ(bare.probabilities, w.probabilities);
      EXPECT_TRUE(bare.contributions.empty());
    }
  }
}

TEST(TreeExplainer, ScratchIsSharedSafelyByModelsOfDifferentWidths) {
  // A binary model over 200 columns and a 3-class one over 50,200: walks alternate
  // between them and between rows with different columns on one thread, and must give
  // what a thread with fresh scratch gives.
  auto narrow_valid = generate(40, 2, 52);
  auto wide_valid = shifted(generate(40, 3, 54), 50'000);
  auto narrow = train(generate(600, 2, 51), narrow_valid, 2, quick(), nullptr);
  auto wide = train(shifted(generate(600, 3, 53), 50'000), wide_valid, 3, quick(), nullptr);
  tree_explainer n(narrow.model), w(wide.model);
  ASSERT_GT(w.split_columns().size(), n.split_columns().size());
  auto nrows = rows_of(narrow_valid), wrows = rows_of(wide_valid);
  // Columns past the model's splits, and nothing at all, are rows too.
  std::vector<std::uint32_t> far_cols{0, 1, 7, 50'001, 60'000, 4'000'000};
  std::vector<float> far_vals{0.5f, -1.0f, 2.0f, 1.5f, 3.0f, 4.0f};
  nrows.push_back({far_cols, far_vals});
  wrows.push_back({far_cols, far_vals});
  nrows.push_back({});
  wrows.push_back({});
  for (std::size_t i = 0; i < nrows.size(); ++i) {
    for (const auto* ex : {&w, &n, &w}) {
      auto row = ex == &n ? nrows[i] : wrows[(i * 7) % wrows.size()];
      expect_same(ex->walk(row.cols, row.vals, true), fresh_walk(*ex, row), "row " + std::to_string(i));
    }
  }
}

TEST(TreeExplainer, SafeFromManyThreads) {
  auto valid2 = generate(50, 2, 62);
  auto valid3 = shifted(generate(50, 3, 64), 5'000);
  auto m2 = train(generate(600, 2, 61), valid2, 2, quick(), nullptr);
  auto m3 = train(shifted(generate(600, 3, 63), 5'000), valid3, 3, quick(), nullptr);
  tree_explainer e2(m2.model), e3(m3.model);
  auto r2 = rows_of(valid2), r3 = rows_of(valid3);
  std::vector<tree_explainer::result> want2, want3;
  for (auto row : r2) want2.push_back(e2.walk(row.cols, row.vals, true));
  for (auto row : r3) want3.push_back(e3.walk(row.cols, row.vals, true));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int pass = 0; pass < 20; ++pass)
        for (std::size_t i = 0; i < r2.size(); ++i) {
          std::size_t a = (i + static_cast<std::size_t>(t) * 13) % r2.size(), b = (i * 3 + pass) % r3.size();
          auto x = e2.walk(r2[a].cols, r2[a].vals, true);
          auto y = e3.walk(r3[b].cols, r3[b].vals, pass % 2 == 0);
          if (x.probabilities != want2[a].probabilities || x.contributions != want2[a].contributions) ++wrong;
          if (y.probabilities != want3[b].probabilities || y.top != want3[b].top) ++wrong;
          if (pass % 2 == 0 && y.contributions != want3[b].contributions) ++wrong;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Model, TrainingIsDeterministic) {
  auto train_set = generate(400, 3, 5);
  auto valid_set = generate(120, 3, 6);
  auto a = train(train_set, valid_set, 3, quick(), nullptr).model.save();
  auto b = train(train_set, valid_set, 3, quick(), nullptr).model.save();
  EXPECT_EQ(a, b);
}

TEST(Model, EarlyStoppingKeepsTheBestRounds) {
  auto train_set = generate(400, 2, 7);
  auto valid_set = generate(120, 2, 8);
  train_params p = quick();
  p.max_rounds = 300;
  p.early_stopping_rounds = 5;
  int rounds_seen = 0;
  auto r = train(train_set, valid_set, 2, p, [&](const round_score&) { ++rounds_seen; });
  EXPECT_LT(rounds_seen, 300);
  EXPECT_EQ(r.model.rounds(), r.best_round);
  EXPECT_EQ(rounds_seen, r.best_round + 5);
}

TEST(Model, RowWeightsChangeTheModelAndMustMatchTheRows) {
  auto train_set = generate(400, 2, 9);
  auto valid_set = generate(120, 2, 10);
  auto plain = train(train_set, valid_set, 2, quick(), nullptr).model.save();
  train_set.row_weights.assign(train_set.labels.size(), 1.0f);
  EXPECT_EQ(train(train_set, valid_set, 2, quick(), nullptr).model.save(), plain);  // all 1: no change
  for (std::size_t i = 0; i < train_set.labels.size(); i += 3) train_set.row_weights[i] = 4.0f;
  EXPECT_NE(train(train_set, valid_set, 2, quick(), nullptr).model.save(), plain);
  train_set.row_weights.pop_back();
  EXPECT_THROW((void)train(train_set, valid_set, 2, quick(), nullptr), model_error);
}

TEST(SparseRows, DocumentFrequencyAndDroppedColumns) {
  sparse_rows r;
  r.columns = 5;
  std::vector<std::uint32_t> a{0, 2, 4}, b{2, 3};
  std::vector<float> av{1, 2, 3}, bv{4, 5};
  r.add_row(a, av);
  r.add_row(b, bv);
  EXPECT_EQ(document_frequency(r), (std::vector<std::uint32_t>{1, 0, 2, 1, 1}));
  auto kept = r.without_columns({true, true, false, true});  // column 4 lies outside: kept
  EXPECT_EQ(kept.columns, 5u);
  EXPECT_EQ(kept.indptr, (std::vector<std::uint64_t>{0, 2, 3}));
  EXPECT_EQ(kept.indices, (std::vector<std::uint32_t>{0, 4, 3}));
  EXPECT_EQ(kept.values, (std::vector<float>{1, 3, 5}));
}

TEST(Bundle, RefusesAnotherFeatureSchema) {
  auto r = train(generate(200, 2, 9), generate(60, 2, 10), 2, quick(), nullptr);
  auto dir = temp_dir("schema");
  write_bundle(dir, r.model, make_manifest({"ham", "spam"}));
  try {
    (void)load_bundle(dir, std::string(64, 'b'));
    FAIL() << "a model for another schema was loaded";
  } catch (const model_error& e) {
    EXPECT_NE(std::string(e.what()).find("retrain"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Bundle, RefusesACorruptedBooster) {
  auto r = train(generate(200, 2, 11), generate(60, 2, 12), 2, quick(), nullptr);
  auto dir = temp_dir("corrupt");
  write_bundle(dir, r.model, make_manifest({"ham", "spam"}));
  {
    std::fstream f(dir / "model.ubj", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  try {
    (void)load_bundle(dir, std::string(64, 'a'));
    FAIL() << "a corrupted model was loaded";
  } catch (const model_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Bundle, RefusesGarbageEvenWithAMatchingHash) {
  auto dir = temp_dir("garbage");
  fs::create_directories(dir);
  std::string junk = "not a model";
  { std::ofstream(dir / "model.ubj") << junk; }
  manifest m = make_manifest({"ham", "spam"});
  m.files["model.ubj"] = "8ac6d8a3a1a4e3f9b8a7d2f1e0c9b8a7d6e5f4c3b2a1908f7e6d5c4b3a291807";  // wrong on purpose
  { std::ofstream(dir / "manifest.json") << m.to_json(); }
  EXPECT_THROW((void)load_bundle(dir, std::string(64, 'a')), model_error);
  fs::remove_all(dir);
}

TEST(Bundle, ManifestRoundTrips) {
  manifest m = make_manifest({"ham", "phishing", "spam"});
  m.thresholds["spam"] = class_threshold{0.001, 0.87f};
  m.dropped_groups = {"auth"};
  m.params_json = R"({"max_depth":6,"eta":0.1})";
  m.training_data_json = R"({"counts":{"ham":10,"spam":5},"sources":["x"]})";
  m.files["model.ubj"] = std::string(64, 'c');
  m.columns = 300;
  auto back = manifest::from_json(m.to_json(), "m.json");
  EXPECT_EQ(back.labels, m.labels);
  EXPECT_FLOAT_EQ(back.thresholds["spam"].threshold, 0.87f);
  EXPECT_EQ(back.dropped_groups, m.dropped_groups);
  EXPECT_EQ(back.params_json, m.params_json);
  EXPECT_EQ(back.training_data_json, m.training_data_json);
  EXPECT_EQ(back.columns, 300u);
  EXPECT_THROW((void)manifest::from_json("{\"format\": \"other/2\"}", "x.json"), model_error);
  EXPECT_THROW((void)manifest::from_json("{", "x.json"), model_error);
}

TEST(Bundle, SubClassesRoundTripAndSumIntoTheirLabels) {
  manifest m = make_manifest({"ham", "spam"});
  m.classes = {"ham", "spam", "ham/newsletter"};
  m.class_label = {0, 1, 0};
  m.files["model.ubj"] = std::string(64, 'c');
  auto back = manifest::from_json(m.to_json(), "m.json");
  EXPECT_EQ(back.classes, m.classes);
  EXPECT_EQ(back.class_label, m.class_label);
  EXPECT_EQ(back.class_count(), 3u);
  EXPECT_EQ(back.class_name(2), "ham/newsletter");
  // Two rows of three classes -> two rows of two labels.
  const std::vector<float> probs{0.25f, 0.5f, 0.25f, 0.125f, 0.125f, 0.75f};  // exact in binary
  EXPECT_EQ(back.label_probabilities(probs), (std::vector<float>{0.5f, 0.5f, 0.875f, 0.125f}));
  // Without sub-classes nothing is written and probabilities pass through.
  manifest plain = make_manifest({"ham", "spam"});
  EXPECT_EQ(plain.to_json().find("\"classes\""), std::string::npos);
  EXPECT_EQ(plain.class_count(), 2u);
  EXPECT_EQ(plain.label_probabilities(std::vector<float>{0.25f, 0.75f}), (std::vector<float>{0.25f, 0.75f}));
  // A class reporting as no label, and a label no class reports as, are refused.
  manifest bad = m;
  bad.classes = {"ham", "spam", "other/x"};
  auto text = bad.to_json();
  text.replace(text.find("\"label\": \"ham\"", text.find("other/x")), 16, "\"label\": \"nope\"");
  EXPECT_THROW((void)manifest::from_json(text, "x.json"), model_error);
  manifest missing = m;
  missing.classes = {"ham", "ham/newsletter"};
  missing.class_label = {0, 0};
  EXPECT_THROW((void)manifest::from_json(missing.to_json(), "x.json"), model_error);
}

TEST(Model, EarlyStoppingWithSubClassesWatchesTheLabelsLoss) {
  // Classes 0 and 1 report as one label: the loss early stopping keeps is the labels'
  // log loss (classes summed, both labels weighing the same), recomputed here from the
  // kept model's predictions.
  auto train_set = generate(900, 3, 61);
  auto valid_set = generate(300, 3, 62);
  auto p = quick();
  p.class_label = {0, 0, 1};
  auto r = train(train_set, valid_set, 3, p, nullptr);
  auto probs = r.model.predict(valid_set.rows);
  std::size_t count[2] = {0, 0};
  for (int c : valid_set.labels) ++count[p.class_label[static_cast<std::size_t>(c)]];
  double loss = 0, total = 0;
  for (std::size_t row = 0; row < valid_set.labels.size(); ++row) {
    const auto label = p.class_label[static_cast<std::size_t>(valid_set.labels[row])];
    const double prob = label == 0 ? probs[row * 3] + probs[row * 3 + 1] : probs[row * 3 + 2];
    const double w = 300.0 / (2.0 * static_cast<double>(count[label]));
    loss -= w * std::log(prob);
    total += w;
  }
  EXPECT_NEAR(r.best_valid_loss, loss / total, 1e-4);
  // Summing classes 0 and 1 forgives their confusions with each other, so the labels'
  // loss is below the classes' own (what XGBoost stops on without class_label).
  auto plain = train(train_set, valid_set, 3, quick(), nullptr);
  EXPECT_LT(r.best_valid_loss, plain.best_valid_loss);
  p.class_label = {0, 1};
  EXPECT_THROW((void)train(train_set, valid_set, 3, p, nullptr), model_error);
}

// A tree XGBoost loads and dumps, but whose node 3 has its children numbered before it
// (1 and 2). XGBoost never writes one; the walks rely on children coming after their
// node (expected values, path lengths), so such a model is refused, not mis-scored.
TEST(TreeExplainer, RefusesATreeWithChildrenNumberedBeforeTheirNode) {
  const std::string json = R"json({"learner":{"attributes":{},"feature_names":[],"feature_types":[],"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1","size_leaf_vector":"0"},"tree_info":[0],"trees":[{"base_weights":[-0.09,0.1,-0.1,0.05,-0.08],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[0,0,0,0,0],"id":0,"left_children":[3,-1,-1,1,-1],"loss_changes":[31.0,0.0,0.0,5.0,0.0],"parents":[2147483647,3,3,0,0],"right_children":[4,-1,-1,2,-1],"split_conditions":[4.8,0.1,-0.1,2.0,-0.08],"split_indices":[81,0,0,82,0],"split_type":[0,0,0,0,0],"sum_hessian":[9.5,2.0,2.5,4.5,5.0],"tree_param":{"num_deleted":"0","num_feature":"262306","num_nodes":"5","size_leaf_vector":"0"}}]},"name":"gbtree"},"learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":"0","num_feature":"262306","num_target":"1"},"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]})json";
  auto b = booster::from_bytes(json, 262306);
  EXPECT_THROW(tree_explainer{b}, model_error);
}

TEST(TreeExplainer, WithSubClassesTheTopClassBelongsToTheMostProbableLabel) {
  // Three classes, the first two reporting as one label: wherever class 2 is the single
  // most probable class but classes 0 + 1 sum higher, the walk must explain class 0 or
  // 1 (whichever is larger), since the verdict reports their label.
  auto train_set = generate(900, 3, 51);
  auto valid_set = generate(300, 3, 52);
  auto r = train(train_set, valid_set, 3, quick(), nullptr);
  tree_explainer ex(r.model);
  const std::vector<std::uint32_t> class_label{0, 0, 1};
  std::size_t overruled = 0;
  for (auto row : rows_of(valid_set)) {
    auto plain = ex.walk(tree_explainer::row{row.cols, row.vals}, true);
    auto grouped = ex.walk(tree_explainer::row{row.cols, row.vals}, true, class_label);
    const auto& p = grouped.probabilities;
    EXPECT_EQ(p, plain.probabilities);
    const std::size_t want = p[0] + p[1] > p[2] ? (p[1] > p[0] ? 1 : 0) : 2;
    EXPECT_EQ(grouped.top, want);
    EXPECT_EQ(grouped.label_probabilities, (std::vector<float>{p[0] + p[1], p[2]}));
    EXPECT_EQ(grouped.top_label, class_label[want]);
    EXPECT_TRUE(plain.label_probabilities.empty());
    EXPECT_EQ(plain.top_label, plain.top);
    EXPECT_EQ(grouped.contributions, ex.contributions(row.cols, row.vals, want));
    overruled += plain.top == 2 && want != 2;
  }
  EXPECT_GT(overruled, 0u) << "no row where the grouping changes the explained class: the test proves nothing";
}

bool flags_storage[8];

std::span<const bool> as_flags(std::initializer_list<bool> v) {
  std::size_t i = 0;
  for (bool b : v) flags_storage[i++] = b;
  return std::span<const bool>(flags_storage, v.size());
}

TEST(Metrics, AucCountsTiesHalf) {
  std::vector<float> s = {0.1f, 0.4f, 0.35f, 0.8f};
  EXPECT_DOUBLE_EQ(roc_auc(s, as_flags({false, false, true, true})), 0.75);
  std::vector<float> tied = {0.5f, 0.5f};
  EXPECT_DOUBLE_EQ(roc_auc(tied, as_flags({false, true})), 0.5);
}

TEST(Metrics, ThresholdHonoursTheFalsePositiveBudget) {
  std::vector<float> s = {0.1f, 0.2f, 0.3f, 0.9f, 0.6f, 0.95f, 0.7f, 0.5f};
  auto pos = as_flags({false, false, false, false, true, true, true, true});
  float t0 = threshold_at_fpr(s, pos, 0.0);
  EXPECT_GT(t0, 0.9f);
  EXPECT_DOUBLE_EQ(false_positive_rate(s, pos, t0), 0.0);
  EXPECT_DOUBLE_EQ(recall_at_fpr(s, pos, 0.0), 0.25);
  EXPECT_DOUBLE_EQ(recall_at_fpr(s, pos, 0.25), 1.0);
}

TEST(Metrics, CalibrationError) {
  std::vector<float> p = {0.9f, 0.9f, 0.9f, 0.9f};
  EXPECT_NEAR(expected_calibration_error(p, as_flags({true, true, true, false})), 0.15, 1e-6);
}

// A spam message the model calls phishing is still kept from the inbox: scored by
// 1 - P(ham) it separates from ham, scored by P(spam) it does not.
TEST(Evaluation, NotNegativeScoreCountsMailCalledAnotherBadClass) {
  const std::vector<std::string> labels = {"ham", "phishing", "spam"};
  // rows: ham, ham, spam (called phishing), spam, phishing
  const std::vector<float> p = {0.90f, 0.05f, 0.05f,  0.70f, 0.05f, 0.25f,  0.10f, 0.80f, 0.10f,
                                0.05f, 0.05f, 0.90f,  0.02f, 0.95f, 0.03f};
  const std::vector<int> truth = {0, 0, 2, 2, 1};
  auto e = evaluate(p, truth, labels, "ham", {});
  const auto& spam = e.classes[2];
  EXPECT_DOUBLE_EQ(spam.auc, 0.75);  // P(spam) 0.10 sits below the second ham's 0.25
  EXPECT_DOUBLE_EQ(spam.recall_at_01pct, 0.5);
  EXPECT_DOUBLE_EQ(spam.not_negative_auc, 1.0);  // 1 - P(ham): 0.90, 0.95 above 0.10, 0.30
  EXPECT_DOUBLE_EQ(spam.not_negative_recall_at_01pct, 1.0);
  EXPECT_TRUE(std::isnan(e.classes[0].not_negative_auc));
  EXPECT_NE(e.to_json().find("\"not_negative_recall_at_fpr_0.1pct\":1"), std::string::npos);
}

}  // namespace
}  // namespace mailtriage::model
