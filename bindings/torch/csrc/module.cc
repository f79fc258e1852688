// The Python extension torch_braid._C: the process group class and its creator, which torch_braid registers as
// backend "braid".
#include <pybind11/chrono.h>
#include <torch/csrc/utils/pybind.h>

#include "process_group_braid.h"

namespace py = pybind11;

PYBIND11_MODULE(_C, module) {
  module.doc() = "Braid collectives as a torch.distributed backend";
  py::class_<torch_braid::ProcessGroupBraid, torch_braid::BackendBase,
             c10::intrusive_ptr<torch_braid::ProcessGroupBraid>>(module, "ProcessGroupBraid")
      // Waits for the other survivors: let other Python threads run meanwhile.
      // Also what torch 2.x's shrink_group calls, with its flags and options (None: the parent's).
      .def(
          "shrink",
          [](torch_braid::ProcessGroupBraid& self, const std::vector<int64_t>& excludeRanks, int flags,
             const py::object&) { return self.shrinkGroup(excludeRanks, flags); },
          py::arg("exclude_ranks"), py::arg("shrink_flags") = NCCL_SHRINK_ABORT, py::arg("pg_options") = py::none(),
          py::call_guard<py::gil_scoped_release>())
      .def("failed_ranks", &torch_braid::ProcessGroupBraid::failedRanks, py::arg("seconds") = 1.0,
           py::call_guard<py::gil_scoped_release>());
  // Joining the communicator waits for the other ranks: let other Python threads run meanwhile.
  module.def("create_process_group", &torch_braid::createProcessGroupBraid, py::arg("store"), py::arg("rank"),
             py::arg("size"), py::arg("timeout"), py::call_guard<py::gil_scoped_release>());
  module.def("nccl_version", [] {
    int version = 0;
    ncclGetVersion(&version);
    return version;
  });
}
