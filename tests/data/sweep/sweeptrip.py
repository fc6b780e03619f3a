"""A facility that stops the simulation with an error at a chosen time step (sweep tests' failing scenario)."""

from cycsrv.kernel.agent import Facility
from cycsrv.kernel.statevar import StateVar


class Tripwire(Facility):
    """Raises in its tick at time step `trip_at` (never when it is negative)."""

    trip_at = StateVar("int", default=-1, doc="time step to fail at")

    def tick(self) -> None:
        if self.context.time == self.trip_at:
            raise RuntimeError(f"tripwire at step {self.trip_at}")
