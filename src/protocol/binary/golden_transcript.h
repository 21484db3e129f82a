#pragma once
// Reads the BINARY frames of testdata/transcript-v7.txt (the capture of the reference v7 server
// and client, see /work/shared/spec/PROTOCOL.md) for the golden and fuzz tests.

#include <cstddef>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/binary/test_util.h"

namespace strata::binary::testing {

struct GoldenFrame {
  std::string id;            // "0021"
  size_t declared_size = 0;  // the "NNB" of the header line
  std::string bytes;         // the whole frame
  size_t trailing = 0;       // TRAILING_BYTES=N: bytes after the first message
  bool abbreviated = false;  // hex not dumped in full (frames over 512 bytes)
  bool undecodable = false;  // the reference parser failed (PARSER_ERROR / <undecodable>)
  std::string inner;         // raw fields of the topic message, "1:varint=4 ..."
  std::string decoded;       // @deepstream/protobuf's parse() result as JSON
};

inline constexpr char kTranscriptPath[] = "testdata/transcript-v7.txt";

inline void ParseFrameDetail(const std::string& line, GoldenFrame* frame) {
  static const std::regex kTrailing(R"(TRAILING_BYTES=(\d+))");
  std::smatch match;
  if (line.rfind("  hex: ", 0) == 0) {
    frame->bytes = FromHex(line.substr(7));
  } else if (line.rfind("  hex (", 0) == 0) {
    frame->abbreviated = true;
  } else if (line.rfind("  envelope: ", 0) == 0) {
    if (line.find("<undecodable") != std::string::npos) frame->undecodable = true;
    if (std::regex_search(line, match, kTrailing)) frame->trailing = std::stoul(match[1]);
  } else if (line.rfind("  inner ", 0) == 0) {
    frame->inner = line.substr(line.find("fields: ") + 8);
  } else if (line.rfind("  decoded: ", 0) == 0) {
    frame->decoded = line.substr(11);
    if (frame->decoded.find("PARSER_ERROR") != std::string::npos) frame->undecodable = true;
  }
}

// Every BINARY frame of the transcript in order; empty when the file cannot be read.
inline std::vector<GoldenFrame> LoadGoldenFrames(const std::string& path = kTranscriptPath) {
  static const std::regex kHeader(R"(^\[(\d{4})\] \S+ (C->S|S->C) BINARY (.*)$)");
  static const std::regex kSize(R"(^(\d+)B$)");
  std::ifstream in(path);
  std::vector<GoldenFrame> frames;
  GoldenFrame* current = nullptr;
  std::string line;
  std::smatch match;
  while (std::getline(in, line)) {
    if (std::regex_match(line, match, kHeader)) {
      GoldenFrame frame;
      frame.id = match[1];
      const std::string size_text = match[3];
      std::smatch size_match;
      if (std::regex_match(size_text, size_match, kSize)) {
        frame.declared_size = std::stoul(size_match[1]);
      } else {
        frame.abbreviated = true;  // "EVENT EMIT with ... (frame not hex-dumped)"
      }
      frames.push_back(std::move(frame));
      current = &frames.back();
    } else if (line.rfind("  ", 0) == 0 && current != nullptr) {
      ParseFrameDetail(line, current);
    } else {
      current = nullptr;
    }
  }
  return frames;
}

}  // namespace strata::binary::testing
