"""Schemas of the tables the kernel itself writes, with Cyclus's names, columns and types."""

from cycsrv.store.schema import DbType as T
from cycsrv.store.schema import TableSchema

S = TableSchema.of

INPUT_FILES = S("InputFiles", ("Data", T.BLOB))
INFO = S(
    "Info",
    ("Handle", T.STRING), ("InitialYear", T.INT), ("InitialMonth", T.INT), ("Duration", T.INT),
    ("Seed", T.INT), ("Stride", T.INT), ("ParentSimId", T.UUID), ("ParentType", T.STRING),
    ("BranchTime", T.INT), ("CyclusVersion", T.STRING), ("CyclusVersionDescribe", T.STRING),
    ("SqliteVersion", T.STRING), ("Hdf5Version", T.STRING), ("BoostVersion", T.STRING),
    ("LibXML2Version", T.STRING), ("CoinCBCVersion", T.STRING),
)
DECAY_MODE = S("DecayMode", ("Decay", T.STRING))
INFO_EXPLICIT_INV = S("InfoExplicitInv", ("RecordInventory", T.BOOL), ("RecordInventoryCompact", T.BOOL))
TIME_STEP_DUR = S("TimeStepDur", ("DurationSecs", T.INT))
EPSILON = S("Epsilon", ("GenericEpsilon", T.DOUBLE), ("ResourceEpsilon", T.DOUBLE))
XMLPP_INFO = S("XMLPPInfo", ("LibXMLPlusPlusVersion", T.STRING))
COMMOD_PRIORITY = S("CommodPriority", ("Commodity", T.STRING), ("SolutionPriority", T.DOUBLE))
SOLVER_INFO = S("SolverInfo", ("Solver", T.STRING), ("ExclusiveOrders", T.BOOL))
GREEDY_SOLVER_INFO = S("GreedySolverInfo", ("Preconditioner", T.STRING))
COIN_SOLVER_INFO = S("CoinSolverInfo", ("Timeout", T.DOUBLE), ("Verbose", T.BOOL), ("Mps", T.BOOL))
COMPOSITIONS = S("Compositions", ("QualId", T.INT), ("NucId", T.INT), ("MassFrac", T.DOUBLE))
RECIPES = S("Recipes", ("Recipe", T.STRING), ("QualId", T.INT))
PACKAGES = S("Packages", ("PackageName", T.STRING), ("FillMin", T.DOUBLE), ("FillMax", T.DOUBLE),
             ("Strategy", T.STRING))
TRANSPORT_UNITS = S("TransportUnits", ("TransportUnitName", T.STRING), ("FillMin", T.INT),
                    ("FillMax", T.INT), ("Strategy", T.STRING))
AGENT_STATE_AGENT = S("AgentStateAgent", ("AgentId", T.INT), ("SimTime", T.INT), ("Prototype", T.STRING),
                      ("Lifetime", T.INT))
AGENT_STATE_INVENTORIES = S("AgentStateInventories", ("AgentId", T.INT), ("SimTime", T.INT),
                            ("InventoryName", T.STRING), ("ResourceId", T.INT))
PROTOTYPES = S("Prototypes", ("Prototype", T.STRING), ("AgentId", T.INT), ("Spec", T.STRING))
AGENT_VERSIONS = S("AgentVersions", ("Spec", T.STRING), ("Version", T.STRING))
AGENT_ENTRY = S("AgentEntry", ("AgentId", T.INT), ("Kind", T.STRING), ("Spec", T.STRING),
                ("Prototype", T.STRING), ("ParentId", T.INT), ("Lifetime", T.INT), ("EnterTime", T.INT))
AGENT_EXIT = S("AgentExit", ("AgentId", T.INT), ("ExitTime", T.INT))
BUILD_SCHEDULE = S("BuildSchedule", ("ParentId", T.INT), ("Prototype", T.STRING), ("SchedTime", T.INT),
                   ("BuildTime", T.INT))
DECOM_SCHEDULE = S("DecomSchedule", ("AgentId", T.INT), ("SchedTime", T.INT), ("DecomTime", T.INT))
SNAPSHOTS = S("Snapshots", ("Time", T.INT))
NEXT_IDS = S("NextIds", ("Time", T.INT), ("Object", T.STRING), ("NextId", T.INT))
RESOURCES = S(
    "Resources",
    ("ResourceId", T.INT), ("ObjId", T.INT), ("Type", T.STRING), ("TimeCreated", T.INT),
    ("Quantity", T.DOUBLE), ("Units", T.STRING), ("UnitValue", T.DOUBLE), ("QualId", T.INT),
    ("PackageName", T.STRING), ("Parent1", T.INT), ("Parent2", T.INT),
)
MATERIAL_INFO = S("MaterialInfo", ("ResourceId", T.INT), ("PrevDecayTime", T.INT))
RES_CREATORS = S("ResCreators", ("ResourceId", T.INT), ("AgentId", T.INT))
PRODUCTS = S("Products", ("QualId", T.INT), ("Quality", T.STRING))
TRANSACTIONS = S(
    "Transactions",
    ("TransactionId", T.INT), ("SenderId", T.INT), ("ReceiverId", T.INT), ("ResourceId", T.INT),
    ("Commodity", T.STRING), ("Time", T.INT), ("BidCost", T.DOUBLE), ("AdjustedCost", T.DOUBLE),
)
FINISH = S("Finish", ("EarlyTerm", T.BOOL), ("EndTime", T.INT))
EXPLICIT_INVENTORY = S("ExplicitInventory", ("AgentId", T.INT), ("Time", T.INT), ("InventoryName", T.STRING),
                       ("NucId", T.INT), ("Quantity", T.DOUBLE), ("Units", T.STRING))
EXPLICIT_INVENTORY_COMPACT = S("ExplicitInventoryCompact", ("AgentId", T.INT), ("Time", T.INT),
                               ("InventoryName", T.STRING), ("Quantity", T.DOUBLE), ("Units", T.STRING),
                               ("Composition", T.MAP_INT_DOUBLE))
