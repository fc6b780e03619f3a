"""A facility that fails the simulation at a chosen time step, or slows it down (sweep tests)."""

import time

from cycsrv.kernel.agent import Facility
from cycsrv.kernel.statevar import StateVar


class Tripwire(Facility):
    """Raises in its tick at time step `trip_at` (never when it is negative); sleeps `pause` s every tick."""

    trip_at = StateVar("int", default=-1, doc="time step to fail at")
    pause = StateVar("double", default=0.0, doc="seconds to sleep in every tick")

    def tick(self) -> None:
        if self.pause > 0:
            time.sleep(self.pause)
        if self.context.time == self.trip_at:
            raise RuntimeError(f"tripwire at step {self.trip_at}")
