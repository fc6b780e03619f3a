"""Write stand-ins for PyNE's generated decay and CRAM sources into a Cyclus src/ directory.

Cyclus's build downloads them; without a network the oracle is built with an empty decay chain,
so a material asked to decay raises (decay is not part of what the oracle checks).
"""

import sys
from pathlib import Path

DECAY_CPP = """\
// Stand-in for PyNE's generated decay solver: the oracle build has no decay data.
#include <map>
#include <stdexcept>
#include "pyne.h"

namespace pyne {
namespace decayers {
const int all_nucs[4] = {0, 0, 0, 0};
std::map<int, double> decay(std::map<int, double> comp, double t) {
  throw std::runtime_error("decay is not available in this oracle build");
}
}  // namespace decayers
}  // namespace pyne
"""

CRAM_C = """\
/* Stand-in for PyNE's generated CRAM solver: an empty decay chain. */
#include <stddef.h>
#include "cram.hpp"

pyne_cram_transmute_info_t pyne_cram_transmute_info = {0, 0, NULL, NULL, NULL, NULL, NULL};
int pyne_cram_transmute_ij(int i, int j) { return -1; }
int pyne_cram_transmute_nucid_to_i(int nucid) { return -1; }
void pyne_cram_solve_double(double* A, double* b, double* x) {}
void pyne_cram_diag_add_double(double* A, double alpha) {}
void pyne_cram_dot_double(double* A, double* x, double* y) {}
void pyne_cram_scalar_times_vector_double(double a, double* x) {}
void pyne_cram_expm_multiply6(double* A, double* b, double* x) {}
void pyne_cram_expm_multiply8(double* A, double* b, double* x) {}
void pyne_cram_expm_multiply10(double* A, double* b, double* x) {}
void pyne_cram_expm_multiply12(double* A, double* b, double* x) {}
void pyne_cram_expm_multiply14(double* A, double* b, double* x) {}
void pyne_cram_expm_multiply16(double* A, double* b, double* x) {}
void pyne_cram_expm_multiply18(double* A, double* b, double* x) {}
"""


def write_stubs(src: Path, platform: str = "linux-gnu") -> None:
    """Write decay.cpp, cram.c and the empty per-platform assembly files the build checks for."""
    (src / "decay.cpp").write_text(DECAY_CPP)
    (src / "cram.c").write_text(CRAM_C)
    for name in ("decay", "cram"):
        (src / f"{name}-{platform}.s").write_text("")


if __name__ == "__main__":
    write_stubs(Path(sys.argv[1]))
