// Waiting without Python's GIL.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

namespace torch_braid {

// Runs `wait` without the GIL when the caller holds it: the stream's thread may need the GIL to free the tensors
// of the operations it finishes (Python may drop a group's last reference, or call abort, with the GIL held).
template <typename Wait>
void withoutGil(Wait wait) {
  if (Py_IsInitialized() && PyGILState_Check()) {
    pybind11::gil_scoped_release released;
    wait();
  } else {
    wait();
  }
}

}  // namespace torch_braid
