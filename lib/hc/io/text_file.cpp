#include "hc/io/text_file.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "hc/core/atomic_file.h"
#include "hc/core/error.h"

namespace hc {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kChunk = 256 * 1024;

bool has_gzip_magic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

bool named_gz(const fs::path& path) { return path.extension() == ".gz"; }

// Raw bytes from a file or from memory: fills out with up to capacity bytes, 0 at the end.
using RawRead = std::function<std::size_t(char* out, std::size_t capacity)>;

// Inflates one or more concatenated gzip members (what `cat a.gz b.gz` and pigz produce).
class Inflater {
 public:
  Inflater(RawRead raw, std::string source) : raw_(std::move(raw)), source_(std::move(source)) {
    std::memset(&stream_, 0, sizeof stream_);
    if (inflateInit2(&stream_, 15 + 16) != Z_OK) {
      throw runtime_error("{}: cannot start gzip decompression", source_);
    }
    input_.resize(kChunk);
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  std::size_t read(char* out, std::size_t capacity) {
    stream_.next_out = reinterpret_cast<Bytef*>(out);
    stream_.avail_out = static_cast<uInt>(capacity);
    while (stream_.avail_out == capacity && !finished_) {
      if (stream_.avail_in == 0 && !refill()) {
        if (member_ended_) {
          finished_ = true;
          break;
        }
        throw runtime_error("{}: truncated gzip data (the file ends inside the compressed stream)",
                            source_);
      }
      if (member_ended_) start_next_member();
      int status = inflate(&stream_, Z_NO_FLUSH);
      if (status == Z_STREAM_END) {
        member_ended_ = true;
      } else if (status == Z_DATA_ERROR || status == Z_NEED_DICT) {
        throw runtime_error("{}: corrupt gzip data ({})", source_,
                            stream_.msg ? stream_.msg : "invalid stream");
      } else if (status == Z_MEM_ERROR) {
        throw std::bad_alloc();
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        throw runtime_error("{}: gzip decompression failed (zlib status {})", source_, status);
      }
    }
    return capacity - stream_.avail_out;
  }

 private:
  bool refill() {
    std::size_t got = raw_(input_.data(), input_.size());
    stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
    stream_.avail_in = static_cast<uInt>(got);
    return got > 0;
  }

  // Another member follows the one that ended: it must be gzip too, not trailing garbage.
  void start_next_member() {
    if (stream_.avail_in < 2 && !top_up()) {
      throw runtime_error("{}: corrupt gzip data (unexpected bytes after the end of the stream)",
                          source_);
    }
    std::string_view next(reinterpret_cast<const char*>(stream_.next_in), stream_.avail_in);
    if (!has_gzip_magic(next)) {
      throw runtime_error("{}: corrupt gzip data (unexpected bytes after the end of the stream)",
                          source_);
    }
    inflateReset(&stream_);
    member_ended_ = false;
  }

  // Makes at least two input bytes available when the file has them.
  bool top_up() {
    std::string pending(reinterpret_cast<const char*>(stream_.next_in), stream_.avail_in);
    std::size_t got = raw_(input_.data() + pending.size(), input_.size() - pending.size());
    std::memcpy(input_.data(), pending.data(), pending.size());
    stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
    stream_.avail_in = static_cast<uInt>(pending.size() + got);
    return stream_.avail_in >= 2;
  }

  RawRead raw_;
  std::string source_;
  z_stream stream_;
  std::string input_;
  bool member_ended_ = false;
  bool finished_ = false;
};

class File {
 public:
  explicit File(const fs::path& path) : path_(path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw runtime_error("{}: is a folder, not a file", path.string());
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) {
      if (errno == ENOENT) throw runtime_error("{}: no such file", path.string());
      throw runtime_error("cannot open {}: {}", path.string(), std::strerror(errno));
    }
  }
  ~File() { std::fclose(file_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  std::size_t read(char* out, std::size_t capacity) {
    std::size_t got = std::fread(out, 1, capacity, file_);
    if (got < capacity && std::ferror(file_)) {
      throw runtime_error("{}: read error: {}", path_.string(), std::strerror(errno));
    }
    return got;
  }

 private:
  fs::path path_;
  std::FILE* file_ = nullptr;
};

}  // namespace

// The bytes of a file, decompressed on the fly when it starts with the gzip magic.
class LineReader::Source {
 public:
  explicit Source(const fs::path& path) : file_(path) {
    head_.resize(2);
    head_.resize(file_.read(head_.data(), head_.size()));
    if (has_gzip_magic(head_)) {
      inflater_ = std::make_unique<Inflater>(
          [this](char* out, std::size_t capacity) { return raw(out, capacity); }, path.string());
    } else if (named_gz(path)) {
      throw runtime_error("{}: not a gzip file (it does not start with the gzip magic bytes)",
                          path.string());
    }
  }

  std::size_t read(char* out, std::size_t capacity) {
    return inflater_ ? inflater_->read(out, capacity) : raw(out, capacity);
  }

 private:
  // The file's bytes, starting with the two already read to sniff the format.
  std::size_t raw(char* out, std::size_t capacity) {
    std::size_t from_head = std::min(capacity, head_.size() - head_used_);
    std::memcpy(out, head_.data() + head_used_, from_head);
    head_used_ += from_head;
    if (from_head == capacity) return from_head;
    return from_head + file_.read(out + from_head, capacity - from_head);
  }

  File file_;
  std::string head_;
  std::size_t head_used_ = 0;
  std::unique_ptr<Inflater> inflater_;
};

// Everything a reader (a Source or an Inflater) has left.
template <typename Reader>
std::string read_all(Reader& reader) {
  std::string text;
  std::size_t size = 0;
  for (;;) {
    text.resize(size + kChunk);
    std::size_t got = reader.read(text.data() + size, kChunk);
    size += got;
    if (got == 0) break;
  }
  text.resize(size);
  return text;
}

std::string read_text_file(const fs::path& path) {
  LineReader::Source source(path);
  return read_all(source);
}

std::string gzip_compress(std::string_view data) {
  z_stream stream;
  std::memset(&stream, 0, sizeof stream);
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    throw runtime_error("cannot start gzip compression");
  }
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    std::size_t used = out.size();
    out.resize(used + kChunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    stream.avail_out = static_cast<uInt>(kChunk);
    status = deflate(&stream, Z_FINISH);
    out.resize(used + kChunk - stream.avail_out);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
      deflateEnd(&stream);
      throw runtime_error("gzip compression failed (zlib status {})", status);
    }
  }
  deflateEnd(&stream);
  return out;
}

std::string gzip_decompress(std::string_view data, const std::string& source) {
  if (!has_gzip_magic(data)) {
    throw runtime_error("{}: not gzip data (it does not start with the gzip magic bytes)", source);
  }
  std::size_t offset = 0;
  Inflater inflater(
      [&](char* out, std::size_t capacity) {
        std::size_t n = std::min(capacity, data.size() - offset);
        std::memcpy(out, data.data() + offset, n);
        offset += n;
        return n;
      },
      source);
  return read_all(inflater);
}

bool is_gzip_file(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return false;
  char head[2] = {0, 0};
  std::size_t got = std::fread(head, 1, 2, file);
  std::fclose(file);
  return has_gzip_magic(std::string_view(head, got));
}

void write_text_file(const fs::path& path, std::string_view content) {
  if (named_gz(path)) {
    write_file_atomically(path, gzip_compress(content));
  } else {
    write_file_atomically(path, content);
  }
}

LineReader::LineReader(const fs::path& path)
    : path_(path), source_(std::make_unique<Source>(path)) {}
LineReader::~LineReader() = default;
LineReader::LineReader(LineReader&&) noexcept = default;
LineReader& LineReader::operator=(LineReader&&) noexcept = default;

bool LineReader::fill() {
  if (at_end_) return false;
  buffer_.erase(0, position_);
  position_ = 0;
  std::size_t used = buffer_.size();
  buffer_.resize(used + kChunk);
  std::size_t got = source_->read(buffer_.data() + used, kChunk);
  buffer_.resize(used + got);
  if (got == 0) at_end_ = true;
  return got > 0;
}

bool LineReader::next(std::string& line) {
  std::size_t searched = position_;
  for (;;) {
    std::size_t newline = buffer_.find('\n', searched);
    if (newline != std::string::npos) {
      std::size_t end = newline;
      if (end > position_ && buffer_[end - 1] == '\r') --end;
      line.assign(buffer_, position_, end - position_);
      position_ = newline + 1;
      ++line_number_;
      return true;
    }
    searched = buffer_.size() - position_;  // offsets shift as fill() drops consumed bytes
    if (!fill()) break;
  }
  if (position_ >= buffer_.size()) return false;
  std::size_t end = buffer_.size();
  if (buffer_[end - 1] == '\r') --end;
  line.assign(buffer_, position_, end - position_);
  position_ = buffer_.size();
  ++line_number_;
  return true;
}

}  // namespace hc
