"""cycsrv: the Cyclus fuel-cycle simulator and its live server, in Python."""

__version__ = "0.1.0.dev0"

#: The Cyclus version whose behaviour and output tables cycsrv reproduces.
CYCLUS_VERSION = "1.6.0"
