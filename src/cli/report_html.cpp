#include "report_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mailtriage::cli {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string num(double v, const char* fmt = "%.4f") {
  if (std::isnan(v)) return "–";
  char b[32];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"};

// ROC on a log-scaled FPR axis (1e-4 .. 1): the low-FPR end is what matters for mail.
std::string roc_svg(const model::evaluation& e) {
  const double w = 520, h = 360, l = 50, b = 40, t = 10, r = 10;
  auto x = [&](double fpr) {
    double v = std::log10(std::max(fpr, 1e-4));
    return l + (v + 4) / 4 * (w - l - r);
  };
  auto y = [&](double tpr) { return t + (1 - tpr) * (h - t - b); };
  std::string s = "<svg width='" + num(w, "%.0f") + "' height='" + num(h, "%.0f") + "' role='img'>";
  s += "<rect x='" + num(l, "%.0f") + "' y='" + num(t, "%.0f") + "' width='" + num(w - l - r, "%.0f") +
       "' height='" + num(h - t - b, "%.0f") + "' fill='#fafafa' stroke='#999'/>";
  for (int k = -4; k <= 0; ++k) {
    double xv = x(std::pow(10.0, k));
    s += "<line x1='" + num(xv, "%.1f") + "' y1='" + num(t, "%.0f") + "' x2='" + num(xv, "%.1f") + "' y2='" +
         num(h - b, "%.0f") + "' stroke='#ddd'/>";
    s += "<text x='" + num(xv, "%.1f") + "' y='" + num(h - b + 15, "%.0f") + "' font-size='11' text-anchor='middle'>" +
         (k == 0 ? std::string("1") : "1e" + std::to_string(k)) + "</text>";
  }
  for (int k = 0; k <= 10; k += 2) {
    double yv = y(k / 10.0);
    s += "<text x='" + num(l - 5, "%.0f") + "' y='" + num(yv + 4, "%.1f") +
         "' font-size='11' text-anchor='end'>" + num(k / 10.0, "%.1f") + "</text>";
  }
  s += "<text x='" + num((l + w) / 2, "%.0f") + "' y='" + num(h - 5, "%.0f") +
       "' font-size='12' text-anchor='middle'>false-positive rate on the negative label (log)</text>";
  int ci = 0;
  for (const auto& c : e.classes) {
    if (c.roc.empty()) continue;
    std::string pts;
    for (const auto& p : c.roc) pts += num(x(p.fpr), "%.1f") + "," + num(y(p.tpr), "%.1f") + " ";
    const char* col = kColours[ci % 7];
    s += "<polyline fill='none' stroke='" + std::string(col) + "' stroke-width='2' points='" + pts + "'/>";
    s += "<text x='" + num(l + 10, "%.0f") + "' y='" + num(h - b - 10 - 16 * ci, "%.0f") + "' fill='" + col +
         "' font-size='12'>" + esc(c.label) + " (AUC " + num(c.auc) + ")</text>";
    ++ci;
  }
  return s + "</svg>";
}

std::string confusion_html(const model::evaluation& e) {
  std::string s = "<table class='cm'><tr><th>true \\ predicted</th>";
  for (const auto& c : e.classes) s += "<th>" + esc(c.label) + "</th>";
  s += "</tr>";
  for (std::size_t i = 0; i < e.confusion.size(); ++i) {
    std::size_t total = 0;
    for (auto n : e.confusion[i]) total += n;
    s += "<tr><th>" + esc(e.classes[i].label) + "</th>";
    for (std::size_t j = 0; j < e.confusion[i].size(); ++j) {
      double share = total ? static_cast<double>(e.confusion[i][j]) / static_cast<double>(total) : 0;
      int shade = static_cast<int>(255 - share * 180);
      char bg[32];
      std::snprintf(bg, sizeof bg, "rgb(%d,%d,255)", shade, shade);
      s += "<td style='background:" + std::string(bg) + "'>" + std::to_string(e.confusion[i][j]) + "</td>";
    }
    s += "</tr>";
  }
  return s + "</table>";
}

std::string slice_svg(const std::vector<slice_row>& slices, double overall_fpr) {
  double maxv = overall_fpr;
  for (const auto& r : slices) maxv = std::max(maxv, r.fpr);
  if (maxv <= 0) maxv = 0.001;
  const double bar_w = 300, row_h = 20;
  double h = row_h * static_cast<double>(slices.size()) + 30;
  std::string s = "<svg width='640' height='" + num(h, "%.0f") + "' role='img'>";
  double ox = 260 + overall_fpr / maxv * bar_w;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const auto& r = slices[i];
    double yv = 10 + row_h * static_cast<double>(i);
    double bw = r.fpr / maxv * bar_w;
    s += "<text x='250' y='" + num(yv + 13, "%.0f") + "' font-size='12' text-anchor='end'>" + esc(r.dimension) +
         ": " + esc(r.value) + " (" + std::to_string(r.negatives) + ")</text>";
    s += "<rect x='260' y='" + num(yv + 3, "%.0f") + "' width='" + num(bw, "%.1f") + "' height='14' fill='" +
         (r.fpr > overall_fpr * 2 && r.fpr > 0 ? "#d62728" : "#1f77b4") + "'/>";
    s += "<text x='" + num(265 + bw, "%.1f") + "' y='" + num(yv + 13, "%.0f") + "' font-size='11'>" +
         num(r.fpr * 100, "%.2f") + "%</text>";
  }
  s += "<line x1='" + num(ox, "%.1f") + "' y1='5' x2='" + num(ox, "%.1f") + "' y2='" + num(h - 5, "%.0f") +
       "' stroke='#333' stroke-dasharray='4 3'/>";
  return s + "</svg>";
}

}  // namespace

std::string render_report(const std::string& title, const model::evaluation& e, const std::vector<slice_row>& slices,
                          double overall_fpr, double overall_recall) {
  std::string s =
      "<!doctype html><html><head><meta charset='utf-8'><title>" + esc(title) +
      "</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;"
      "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f0f0f0}"
      "h2{margin-top:1.5em}.note{color:#555}</style></head><body>";
  s += "<h1>" + esc(title) + "</h1>";
  s += "<p>" + std::to_string(e.rows) + " messages; accuracy " + num(e.accuracy) + "; expected calibration error " +
       num(e.ece) + "; flagged at the model's thresholds: " + num(overall_fpr * 100, "%.3f") +
       "% of negatives, " + num(overall_recall * 100, "%.2f") + "% of the rest.</p>";
  s += "<h2>Per class</h2><table><tr><th>label</th><th>messages</th><th>precision</th><th>recall</th><th>F1</th>"
       "<th>ROC AUC</th><th>recall @1% FPR</th><th>@0.1%</th><th>@0.01%</th><th>threshold</th><th>FPR at it</th>"
       "<th>recall at it</th></tr>";
  for (const auto& c : e.classes) {
    s += "<tr><th>" + esc(c.label) + "</th><td>" + std::to_string(c.support) + "</td><td>" + num(c.precision) +
         "</td><td>" + num(c.recall) + "</td><td>" + num(c.f1) + "</td><td>" + num(c.auc, "%.5f") + "</td><td>" +
         num(c.recall_at_1pct) + "</td><td>" + num(c.recall_at_01pct) + "</td><td>" + num(c.recall_at_001pct) +
         "</td><td>" + (c.has_threshold ? num(c.threshold) : "–") + "</td><td>" +
         (c.has_threshold ? num(c.fpr_at_threshold * 100, "%.3f%%") : "–") + "</td><td>" +
         (c.has_threshold ? num(c.recall_at_threshold) : "–") + "</td></tr>";
  }
  s += "</table>";
  s += "<h2>ROC curves</h2><p class='note'>Each class against the negative label; the x axis is logarithmic.</p>" +
       roc_svg(e);
  s += "<h2>Confusion matrix</h2>" + confusion_html(e);
  s += "<h2>False positives by slice</h2><p class='note'>Share of negative-label messages flagged in each slice "
       "(dashed line: overall, " +
       num(overall_fpr * 100, "%.3f") + "%). Red bars are more than twice the overall rate.</p>" +
       slice_svg(slices, overall_fpr);
  s += "<table><tr><th>slice</th><th>value</th><th>negatives</th><th>FPR</th><th>others</th><th>recall</th></tr>";
  for (const auto& r : slices)
    s += "<tr><td>" + esc(r.dimension) + "</td><td>" + esc(r.value) + "</td><td>" + std::to_string(r.negatives) +
         "</td><td>" + num(r.fpr * 100, "%.3f%%") + "</td><td>" + std::to_string(r.positives) + "</td><td>" +
         (r.positives ? num(r.recall) : "–") + "</td></tr>";
  s += "</table></body></html>\n";
  return s;
}

}  // namespace mailtriage::cli
