#pragma once
// Labelled message collections on disk, as featurize, train and eval read them:
//   a directory tree whose first-level sub-directories name the labels
//     (corpus/train/{ham,spam,phishing}/...), files directly under it take the
//     directory's own name;
//   a maildir (cur/ and new/), labelled with the maildir's name;
//   an mbox file, split at From_ lines, labelled with the file's stem.
// Files are read in sorted path order, so the same input always gives the same list.
#include <map>
#include <string>
#include <vector>

namespace mailtriage::cli {

struct labelled_message {
  std::string label;
  std::string path;   // file path; "file.mbox#12" for the 12th message of an mbox
  std::string bytes;  // the raw message
};

// Throws std::runtime_error naming a path that does not exist or cannot be read.
[[nodiscard]] std::vector<labelled_message> load_corpus(const std::vector<std::string>& paths);

// The source and sub-source of each message, keyed by file name, from a corpus
// manifest (TSV: path, label, source, subsource, ...; first line a header).
// Throws std::runtime_error when the file cannot be read.
struct message_origin {
  std::string source, subsource;
};
[[nodiscard]] std::map<std::string, message_origin> read_corpus_manifest(const std::string& path);
// The file-name part of a corpus path ("train/ham/x.eml" -> "x.eml").
[[nodiscard]] std::string file_name_of(const std::string& path);

// Splits an mbox at From_ lines (at offset 0 or after a blank line), undoing one level
// of ">From " quoting. Data not starting with "From " is one message.
[[nodiscard]] std::vector<std::string> split_mbox(const std::string& data);

}  // namespace mailtriage::cli
