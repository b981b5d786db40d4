// npy.cpp - .npy reading (versions 1.0 and 2.0) and writing (1.0).
//
// The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (8, 768), }
// parsed here strictly: exactly these three keys, C order, a supported dtype,
// and a data section whose size matches the shape to the byte.
#include "runtime/internal.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/stat.h>

namespace {
using ndr_rt::fail;
using ndr_rt::HeaderCursor;

constexpr char magic[] = "\x93NUMPY";
constexpr size_t magicSize = 6;

struct FileCloser {
  void operator()(FILE *file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

const char *descrOf(ndr_dtype dtype) {
  switch (dtype) {
  case NDR_F32:
    return "<f4";
  case NDR_F16:
    return "<f2";
  case NDR_BF16: // numpy has no bf16: raw bits as unsigned 16-bit integers
    return "<u2";
  default:
    return nullptr;
  }
}

// Recursive descent over the dict literal; `error` says what went wrong.
class HeaderParser : public HeaderCursor {
public:
  using HeaderCursor::HeaderCursor;

  bool parse(ndr_tensor_info *info) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    std::string descr;
    if (!expect('{'))
      return false;
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key) || !expect(':'))
        return false;
      bool *seen = key == "descr"           ? &haveDescr
                   : key == "fortran_order" ? &haveOrder
                   : key == "shape"         ? &haveShape
                                            : nullptr;
      if (!seen)
        return failAt(fmt::format("unknown key '{}'", key));
      if (*seen)
        return failAt(fmt::format("duplicate key '{}'", key));
      *seen = true;
      bool fortran = false;
      if (key == "descr" ? !parseString(descr)
          : key == "fortran_order" ? !parseBool(fortran)
                                   : !parseShape(info))
        return false;
      if (fortran) {
        error = "fortran_order=True is not supported (write C-order arrays)";
        return false;
      }
      skipSpace();
      if (consume('}'))
        break;
      if (!expect(','))
        return false;
    }
    skipSpace();
    if (pos != end)
      return failAt("unexpected text after the dict");
    if (!haveDescr || !haveOrder || !haveShape) {
      error = fmt::format("header lacks '{}'", !haveDescr   ? "descr"
                                               : !haveOrder ? "fortran_order"
                                                            : "shape");
      return false;
    }
    if (descr == "<f4")
      info->dtype = NDR_F32;
    else if (descr == "<f2")
      info->dtype = NDR_F16;
    else if (descr == "<u2")
      info->dtype = NDR_BF16;
    else {
      error = "unsupported dtype '" + descr +
              "' (supported: '<f4' f32, '<f2' f16, '<u2' bf16 bits)";
      return false;
    }
    return true;
  }

private:
  bool parseString(std::string &out) {
    skipSpace();
    if (pos == end || (*pos != '\'' && *pos != '"'))
      return failAt("expected a string");
    char quote = *pos++;
    const char *start = pos;
    while (pos < end && *pos != quote) {
      // Python writes escapes for these; and a message quoting the string
      // must stay one line.
      unsigned char c = static_cast<unsigned char>(*pos);
      if (c == '\\' || c < 0x20 || c == 0x7f)
        return failAt("unsupported character in string");
      ++pos;
    }
    if (pos == end)
      return failAt("unterminated string");
    out.assign(start, pos++);
    return true;
  }
  bool parseBool(bool &out) {
    skipSpace();
    for (bool value : {false, true}) {
      const char *word = value ? "True" : "False";
      size_t size = std::strlen(word);
      if (size_t(end - pos) >= size && std::memcmp(pos, word, size) == 0) {
        pos += size;
        out = value;
        return true;
      }
    }
    return failAt("expected True or False");
  }
  // A tuple of non-negative integers: (), (5,), (2, 3) or (2, 3,).
  bool parseShape(ndr_tensor_info *info) {
    info->rank = 0;
    if (!expect('('))
      return false;
    while (true) {
      skipSpace();
      if (consume(')'))
        break;
      if (pos == end || *pos < '0' || *pos > '9')
        return failAt("expected a non-negative dimension");
      int64_t dim = 0;
      while (pos < end && *pos >= '0' && *pos <= '9') {
        if (__builtin_mul_overflow(dim, 10, &dim) ||
            __builtin_add_overflow(dim, *pos - '0', &dim))
          return failAt("dimension too large");
        ++pos;
      }
      consume('L'); // written by Python 2
      if (info->rank == NDR_MAX_RANK)
        return failAt(fmt::format("more than {} dimensions", NDR_MAX_RANK));
      info->shape[info->rank++] = dim;
      skipSpace();
      if (consume(')')) {
        // Python needs the comma in a 1-tuple; "(5)" is the integer 5.
        if (info->rank == 1)
          return failAt("a 1-d shape needs a trailing comma");
        break;
      }
      if (!expect(','))
        return false;
    }
    return true;
  }
};

// Opens `path` and parses its header: fills `info` and leaves the file at
// the start of the data.
ndr_status openNpy(const char *path, FilePtr &file, ndr_tensor_info *info) {
  if (!path)
    return fail(NDR_ERR_ARG, "npy: null path");
  std::string name = path;
  file.reset(std::fopen(path, "rb"));
  if (!file)
    return fail(NDR_ERR_IO, "{}: cannot open: {}", name, std::strerror(errno));
  struct stat st;
  if (fstat(fileno(file.get()), &st) != 0 || !S_ISREG(st.st_mode))
    return fail(NDR_ERR_IO, "{}: not a regular file", name);
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);

  unsigned char prefix[12];
  if (fileSize < 10 || std::fread(prefix, 1, 10, file.get()) != 10 ||
      std::memcmp(prefix, magic, magicSize) != 0)
    return fail(NDR_ERR_FORMAT, "{}: not a .npy file (bad magic)", name);
  unsigned major = prefix[6], minor = prefix[7];
  uint64_t headerSize, prefixSize;
  if (major == 1 && minor == 0) {
    headerSize = prefix[8] | (prefix[9] << 8);
    prefixSize = 10;
  } else if (major == 2 && minor == 0) {
    if (fileSize < 12 || std::fread(prefix + 10, 1, 2, file.get()) != 2)
      return fail(NDR_ERR_FORMAT, "{}: truncated .npy header", name);
    headerSize = uint64_t(prefix[8]) | uint64_t(prefix[9]) << 8 |
                 uint64_t(prefix[10]) << 16 | uint64_t(prefix[11]) << 24;
    prefixSize = 12;
  } else {
    return fail(NDR_ERR_FORMAT,
                "{}: unsupported .npy version {}.{} (reads 1.0 and 2.0)", name,
                major, minor);
  }
  if (headerSize > fileSize - prefixSize)
    return fail(NDR_ERR_FORMAT,
                "{}: header length {} exceeds the file ({} bytes)", name,
                headerSize, fileSize);
  std::string header(headerSize, '\0');
  if (std::fread(header.data(), 1, headerSize, file.get()) != headerSize)
    return fail(NDR_ERR_IO, "{}: read failed", name);
  HeaderParser parser(header.data(), header.size());
  *info = ndr_tensor_info{};
  if (!parser.parse(info))
    return fail(NDR_ERR_FORMAT, "{}: {}", name, parser.error);

  uint64_t bytes;
  if (!ndr_rt::tensorBytes(info->dtype, info->rank, info->shape, &bytes))
    return fail(NDR_ERR_FORMAT, "{}: shape {} is too large", name,
                ndr_rt::shapeString(info->rank, info->shape));
  info->nbytes = bytes;
  uint64_t dataSize = fileSize - prefixSize - headerSize;
  if (dataSize < bytes)
    return fail(NDR_ERR_FORMAT,
                "{}: truncated: shape {} needs {} data bytes, the file has {}",
                name, ndr_rt::shapeString(info->rank, info->shape), bytes,
                dataSize);
  if (dataSize > bytes)
    return fail(NDR_ERR_FORMAT,
                "{}: {} bytes of unexpected data after the array", name,
                dataSize - bytes);
  return NDR_OK;
}

ndr_status readData(const char *path, FILE *file, void *dst, uint64_t bytes) {
  if (bytes && std::fread(dst, 1, bytes, file) != bytes)
    return fail(NDR_ERR_IO, "{}: read failed", path);
  return NDR_OK;
}
} // namespace

extern "C" {

ndr_status ndr_npy_read(const char *path, ndr_dtype dtype, int32_t rank,
                        const int64_t *shape, void *dst) {
  FilePtr file;
  ndr_tensor_info info;
  if (ndr_status status = openNpy(path, file, &info))
    return status;
  if (ndr_status status = ndr_rt::checkTensor(path, dtype, rank, shape, info))
    return status;
  if (!dst && info.nbytes)
    return fail(NDR_ERR_ARG, "{}: null destination", path);
  return readData(path, file.get(), dst, info.nbytes);
}

ndr_status ndr_npy_load(const char *path, ndr_tensor_info *info, void **data) {
  if (!info || !data)
    return fail(NDR_ERR_ARG, "ndr_npy_load: null output");
  FilePtr file;
  if (ndr_status status = openNpy(path, file, info))
    return status;
  void *buffer = ndr_alloc(info->nbytes);
  if (!buffer)
    return NDR_ERR_NOMEM;
  if (ndr_status status = readData(path, file.get(), buffer, info->nbytes)) {
    ndr_free(buffer);
    return status;
  }
  info->data = buffer;
  *data = buffer;
  return NDR_OK;
}

ndr_status ndr_npy_write(const char *path, ndr_dtype dtype, int32_t rank,
                         const int64_t *shape, const void *data) {
  if (!path)
    return fail(NDR_ERR_ARG, "npy: null path");
  std::string name = path;
  const char *descr = descrOf(dtype);
  if (!descr)
    return fail(NDR_ERR_DTYPE, "{}: .npy files hold f32, f16 or bf16, not {}",
                name, ndr_dtype_name(dtype));
  uint64_t bytes;
  if (rank < 0 || rank > NDR_MAX_RANK || (rank > 0 && !shape) ||
      !ndr_rt::tensorBytes(dtype, rank, shape, &bytes))
    return fail(NDR_ERR_ARG, "{}: invalid shape", name);
  if (bytes && !data)
    return fail(NDR_ERR_ARG, "{}: null data", name);

  // np.save's header: a 1-d shape is a tuple with a trailing comma, "(3,)".
  std::string header = fmt::format(
      "{{'descr': '{}', 'fortran_order': False, 'shape': ({}{}), }}", descr,
      fmt::join(shape, shape + rank, ", "), rank == 1 ? "," : "");
  // Pad as numpy does (1 to 64 spaces) so that the data starts 64-byte
  // aligned and the file is byte-identical to np.save's.
  size_t total = magicSize + 4 + header.size() + 1;
  header.append(64 - total % 64, ' ');
  header += '\n';
  unsigned char prefix[10];
  std::memcpy(prefix, magic, magicSize);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix[8] = static_cast<unsigned char>(header.size() & 0xFF);
  prefix[9] = static_cast<unsigned char>(header.size() >> 8);

  FilePtr file(std::fopen(path, "wb"));
  if (!file)
    return fail(NDR_ERR_IO, "{}: cannot create: {}", name, std::strerror(errno));
  bool ok = std::fwrite(prefix, 1, sizeof prefix, file.get()) == sizeof prefix &&
            std::fwrite(header.data(), 1, header.size(), file.get()) == header.size() &&
            (!bytes || std::fwrite(data, 1, bytes, file.get()) == bytes);
  ok = std::fclose(file.release()) == 0 && ok;
  if (!ok)
    return fail(NDR_ERR_IO, "{}: write failed: {}", name, std::strerror(errno));
  return NDR_OK;
}

} // extern "C"
