#include "base/bounded_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace braid {
namespace {

std::string tooLarge(size_t limit) {
  return "is larger than " + std::to_string(limit >> 20) + " MiB, the limit for configuration files";
}

// Opens `path` for reading unless it is a directory. Returns the descriptor, or -1 with *why and *error set.
int openReadable(const std::string& path, struct stat* st, std::string* why, int* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    *why = std::string("cannot open: ") + std::strerror(*error);
    return -1;
  }
  if (::fstat(fd, st) == 0 && S_ISDIR(st->st_mode)) {
    ::close(fd);
    *error = EISDIR;
    *why = "is a directory, not a file";
    return -1;
  }
  return fd;
}

}  // namespace

std::string readBoundedFile(const std::string& path, std::string* text, size_t limit, int* errnoOf) {
  int ignored = 0;
  int& error = errnoOf ? *errnoOf : ignored;
  error = 0;
  struct stat st {};
  std::string why;
  const int fd = openReadable(path, &st, &why, &error);
  if (fd < 0) return why;
  // Devices and pipes have no size up front: read until the end or one byte past the limit.
  text->clear();
  char chunk[65536];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error = errno;
      ::close(fd);
      return std::string("cannot read: ") + std::strerror(error);
    }
    if (got == 0) break;
    if (text->size() + static_cast<size_t>(got) > limit) {
      ::close(fd);
      text->clear();
      error = EFBIG;
      return tooLarge(limit);
    }
    text->append(chunk, static_cast<size_t>(got));
  }
  ::close(fd);
  return "";
}

std::string checkBoundedFile(const std::string& path, size_t limit) {
  struct stat st {};
  std::string why;
  int error = 0;
  const int fd = openReadable(path, &st, &why, &error);
  if (fd < 0) return why;
  ::close(fd);
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size) > limit ? tooLarge(limit) : "";
  std::string text;  // a device or a pipe: only reading tells
  return readBoundedFile(path, &text, limit);
}

}  // namespace braid
