#include "base/bounded_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace braid {

std::string readBoundedFile(const std::string& path, std::string* text, size_t limit, int* errnoOf) {
  int ignored = 0;
  int& error = errnoOf ? *errnoOf : ignored;
  error = 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errno;
    return std::string("cannot open: ") + std::strerror(error);
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    error = EISDIR;
    return "is a directory, not a file";
  }
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
      return "is larger than " + std::to_string(limit >> 20) + " MiB, the limit for configuration files";
    }
    text->append(chunk, static_cast<size_t>(got));
  }
  ::close(fd);
  return "";
}

}  // namespace braid
