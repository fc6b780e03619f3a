"""Random draws as Cyclus makes them: boost's distributions on the context's mt19937 stream.

`ctx.rng` (numpy `RandomState(seed)`) yields the same raw 32-bit words as boost's
`mt19937` seeded with the same value; the functions here turn those words into numbers the
way boost 1.7x does (uniform_01, uniform_real, uniform_int, ziggurat normal), so seeded
runs draw the values real Cyclus draws. Cyclus's truncated normals resample until the value
lies in [low, high]; integer normals are rounded half-to-even (`lrint`).

Exceptions, documented where used: boost's exponential (only reached in the normal's far
tail, about 1 draw in 4000) and negative binomial are drawn by inversion instead of boost's
ziggurat/gamma-Poisson algorithms; they stay seeded and repeatable but not bit-identical.
"""

from __future__ import annotations

import math

import numpy as np

_TWO32 = 4294967296.0


def next_u32(rng: np.random.RandomState) -> int:
    """One raw 32-bit word of the mt19937 stream."""
    return int(rng.randint(0, 1 << 32, dtype=np.uint32))


def uniform_01(rng: np.random.RandomState) -> float:
    """boost::random::uniform_01<double>: word / 2^32, in [0, 1)."""
    return next_u32(rng) / _TWO32


def uniform_real(rng: np.random.RandomState, low: float, high: float) -> float:
    """boost::random::uniform_real_distribution<double>(low, high): in [low, high)."""
    while True:
        result = next_u32(rng) / _TWO32 * (high - low) + low
        if result < high:
            return result


def uniform_int(rng: np.random.RandomState, low: int, high: int) -> int:
    """boost::random::uniform_int_distribution<int>(low, high): in [low, high], by buckets."""
    span = high - low
    if span < 0:
        raise ValueError(f"uniform integer range is empty: [{low}, {high}]")
    if span == 0:
        return low
    brange = 0xFFFFFFFF
    if span == brange:
        return low + next_u32(rng)
    bucket = brange // (span + 1)
    if brange % (span + 1) == span:
        bucket += 1
    while True:
        result = next_u32(rng) // bucket
        if result <= span:
            return low + result


# Ziggurat tables of boost::random::detail::normal_table<double> (128 layers).
_X = (
    3.7130862467403632609, 3.4426198558966521214, 3.2230849845786185446, 3.0832288582142137009,
    2.9786962526450169606, 2.8943440070186706210, 2.8231253505459664379, 2.7611693723841538514,
    2.7061135731187223371, 2.6564064112581924999, 2.6109722484286132035, 2.5690336259216391328,
    2.5300096723854666170, 2.4934545220919507609, 2.4590181774083500943, 2.4264206455302115930,
    2.3954342780074673425, 2.3658713701139875435, 2.3375752413355307354, 2.3104136836950021558,
    2.2842740596736568056, 2.2590595738653295251, 2.2346863955870569803, 2.2110814088747278106,
    2.1881804320720206093, 2.1659267937448407377, 2.1442701823562613518, 2.1231657086697899595,
    2.1025731351849988838, 2.0824562379877246441, 2.0627822745039633575, 2.0435215366506694976,
    2.0246469733729338782, 2.0061338699589668403, 1.9879595741230607243, 1.9701032608497132242,
    1.9525457295488889058, 1.9352692282919002011, 1.9182573008597320303, 1.9014946531003176140,
    1.8849670357028692380, 1.8686611409895420085, 1.8525645117230870617, 1.8366654602533840447,
    1.8209529965910050740, 1.8054167642140487420, 1.7900469825946189862, 1.7748343955807692457,
    1.7597702248942318749, 1.7448461281083765085, 1.7300541605582435350, 1.7153867407081165482,
    1.7008366185643009437, 1.6863968467734863258, 1.6720607540918522072, 1.6578219209482075462,
    1.6436741568569826489, 1.6296114794646783962, 1.6156280950371329644, 1.6017183802152770587,
    1.5878768648844007019, 1.5740982160167497219, 1.5603772223598406870, 1.5467087798535034608,
    1.5330878776675560787, 1.5195095847593707806, 1.5059690368565502602, 1.4924614237746154081,
    1.4789819769830978546, 1.4655259573357946276, 1.4520886428822164926, 1.4386653166774613138,
    1.4252512545068615734, 1.4118417124397602509, 1.3984319141236063517, 1.3850170377251486449,
    1.3715922024197322698, 1.3581524543224228739, 1.3446927517457130432, 1.3312079496576765017,
    1.3176927832013429910, 1.3041418501204215390, 1.2905495919178731508, 1.2769102735516997175,
    1.2632179614460282310, 1.2494664995643337480, 1.2356494832544811749, 1.2217602305309625678,
    1.2077917504067576028, 1.1937367078237721994, 1.1795873846544607035, 1.1653356361550469083,
    1.1509728421389760651, 1.1364898520030755352, 1.1218769225722540661, 1.1071236475235353980,
    1.0922188768965537614, 1.0771506248819376573, 1.0619059636836193998, 1.0464709007525802629,
    1.0308302360564555907, 1.0149673952392994716, 0.99886423348064351303, 0.98250080350276038481,
    0.96585507938813059489, 0.94890262549791195381, 0.93161619660135381056, 0.91396525100880177644,
    0.89591535256623852894, 0.87742742909771569142, 0.85845684317805086354, 0.83895221428120745572,
    0.81885390668331772331, 0.79809206062627480454, 0.77658398787614838598, 0.75423066443451007146,
    0.73091191062188128150, 0.70647961131360803456, 0.68074791864590421664, 0.65347863871504238702,
    0.62435859730908822111, 0.59296294244197797913, 0.55869217837551797140, 0.52065603872514491759,
    0.47743783725378787681, 0.42654798630330512490, 0.36287143102841830424, 0.27232086470466385065,
    0.0,
)
_Y = (
    0.0, 0.0026696290839025035092, 0.0055489952208164705392, 0.0086244844129304709682,
    0.011839478657982313715, 0.015167298010672042468, 0.018592102737165812650, 0.022103304616111592615,
    0.025693291936149616572, 0.029356317440253829618, 0.033087886146505155566, 0.036884388786968774128,
    0.040742868074790604632, 0.044660862200872429800, 0.048636295860284051878, 0.052667401903503169793,
    0.056752663481538584188, 0.060890770348566375972, 0.065080585213631873753, 0.069321117394180252601,
    0.073611501884754893389, 0.077950982514654714188, 0.082338898242957408243, 0.086774671895542968998,
    0.091257800827634710201, 0.09578784912257815216, 0.10036444102954554013, 0.10498725541035453978,
    0.10965602101581776100, 0.11437051244988827452, 0.11913054670871858767, 0.12393598020398174246,
    0.12878670619710396109, 0.13368265258464764118, 0.13862377998585103702, 0.14361008009193299469,
    0.14864157424369696566, 0.15371831220958657066, 0.15884037114093507813, 0.16400785468492774791,
    0.16922089223892475176, 0.17447963833240232295, 0.17978427212496211424, 0.18513499701071343216,
    0.19053204032091372112, 0.19597565311811041399, 0.20146611007620324118, 0.20700370944187380064,
    0.21258877307373610060, 0.21822164655637059599, 0.22390269938713388747, 0.22963232523430270355,
    0.23541094226572765600, 0.24123899354775131610, 0.24711694751469673582, 0.25304529850976585934,
    0.25902456739871074263, 0.26505530225816194029, 0.27113807914102527343, 0.27727350292189771153,
    0.28346220822601251779, 0.28970486044581049771, 0.29600215684985583659, 0.30235482778947976274,
    0.30876363800925192282, 0.31522938806815752222, 0.32175291587920862031, 0.32833509837615239609,
    0.33497685331697116147, 0.34167914123501368412, 0.34844296754987246935, 0.35526938485154714435,
    0.36215949537303321162, 0.36911445366827513952, 0.37613546951445442947, 0.38322381105988364587,
    0.39038080824138948916, 0.39760785649804255208, 0.40490642081148835099, 0.41227804010702462062,
    0.41972433205403823467, 0.42724699830956239880, 0.43484783025466189638, 0.44252871528024661483,
    0.45029164368692696086, 0.45813871627287196483, 0.46607215269457097924, 0.47409430069824960453,
    0.48220764633483869062, 0.49041482528932163741, 0.49871863547658432422, 0.50712205108130458951,
    0.51562823824987205196, 0.52424057267899279809, 0.53296265938998758838, 0.54179835503172412311,
    0.55075179312105527738, 0.55982741271069481791, 0.56902999107472161225, 0.57836468112670231279,
    0.58783705444182052571, 0.59745315095181228217, 0.60721953663260488551, 0.61714337082656248870,
    0.62723248525781456578, 0.63749547734314487428, 0.64794182111855080873, 0.65858200005865368016,
    0.66942766735770616891, 0.68049184100641433355, 0.69178914344603585279, 0.70333609902581741633,
    0.71515150742047704368, 0.72725691835450587793, 0.73967724368333814856, 0.75244155918570380145,
    0.76558417390923599480, 0.77914608594170316563, 0.79317701178385921053, 0.80773829469612111340,
    0.82290721139526200050, 0.83878360531064722379, 0.85550060788506428418, 0.87324304892685358879,
    0.89228165080230272301, 0.91304364799203805999, 0.93628268170837107547, 0.96359969315576759960,
    1.0,
)


def _int_float_pair(rng: np.random.RandomState) -> tuple[float, int]:
    """boost's generate_int_float_pair<double, 8> on a 32-bit engine: 53-bit fraction, 8-bit int."""
    u = next_u32(rng)
    bucket = u & 0xFF
    r = (u >> 8) * (1.0 / 16777216.0)
    u2 = next_u32(rng)
    r += u2 & 0x1FFFFFFF
    r *= 0.5 / 268435456.0
    return r, bucket


def _exponential(rng: np.random.RandomState, rate: float) -> float:
    # boost uses a ziggurat here; inversion keeps it seeded (see module doc)
    return -math.log(1.0 - uniform_01(rng)) / rate


def unit_normal(rng: np.random.RandomState) -> float:
    """boost's ziggurat standard normal."""
    while True:
        r, i = _int_float_pair(rng)
        sign = (i & 1) * 2 - 1
        i >>= 1
        xi = _X[i]
        x = r * xi
        if x < _X[i + 1]:
            return x * sign
        if i == 0:
            tail = _X[1]
            while True:
                tx = _exponential(rng, tail)
                ty = _exponential(rng, 1.0)
                if 2 * ty > tx * tx:
                    return (tx + tail) * sign
        y01 = uniform_01(rng)
        yi = _Y[i]
        y = yi + y01 * (_Y[i + 1] - yi)
        if xi >= 1:
            above_upper = (xi - _X[i + 1]) * y01 - (xi - x)
            above_lower = y - (yi + (xi - x) * yi * xi)
        else:
            above_lower = (xi - _X[i + 1]) * y01 - (xi - x)
            above_upper = y - (yi + (xi - x) * yi * xi)
        if above_upper < 0 and (above_lower < 0 or y < math.exp(-(x * x / 2))):
            return x * sign


def normal(rng: np.random.RandomState, mean: float, sd: float) -> float:
    """boost::random::normal_distribution<double>(mean, sd)."""
    return unit_normal(rng) * sd + mean


def normal_real(rng: np.random.RandomState, mean: float, sd: float, low: float, high: float) -> float:
    """Cyclus's truncated normal: redraw until the value is in [low, high]."""
    while True:
        v = normal(rng, mean, sd)
        if low <= v <= high:
            return v


def normal_int(rng: np.random.RandomState, mean: float, sd: float, low: int, high: int) -> int:
    """Cyclus's integer normal: a truncated normal rounded half-to-even (`lrint`)."""
    return round(normal_real(rng, mean, sd, low, high))


def bernoulli(rng: np.random.RandomState, p: float) -> int:
    """boost::random::binomial_distribution<int>(1, p) (inversion, as boost does for small means)."""
    if p > 0.5:
        return 1 - bernoulli(rng, 1.0 - p)
    return 0 if uniform_01(rng) <= 1.0 - p else 1


def geometric_trials(rng: np.random.RandomState, p: float) -> int:
    """Failures before the first success with probability `p` (negative binomial, 1 success).

    Drawn by inversion, not by boost's gamma-Poisson mixture (see module doc)."""
    if p >= 1.0:
        return 0
    if p <= 0.0:
        raise ValueError("success probability must be above 0")
    return math.floor(math.log(1.0 - uniform_01(rng)) / math.log(1.0 - p))


class FixedDist:
    """Cyclus's FixedIntDist / FixedDoubleDist: always `value`."""

    def __init__(self, value: float) -> None:
        self.value = value

    def sample(self) -> float:
        return self.value

    def max(self) -> float:
        return self.value


class UniformIntDist:
    """Cyclus's UniformIntDist: integers in [low, high]."""

    def __init__(self, rng: np.random.RandomState, low: int, high: int) -> None:
        self.rng, self.low, self.high = rng, low, high

    def sample(self) -> int:
        return uniform_int(self.rng, self.low, self.high)

    def max(self) -> int:
        return self.high


class UniformDoubleDist:
    """Cyclus's UniformDoubleDist: reals in [low, high)."""

    def __init__(self, rng: np.random.RandomState, low: float, high: float) -> None:
        self.rng, self.low, self.high = rng, low, high

    def sample(self) -> float:
        return uniform_real(self.rng, self.low, self.high)

    def max(self) -> float:
        return self.high


class NormalDist:
    """Cyclus's NormalDoubleDist / NormalIntDist: a normal truncated to [low, high] (rounded if `integer`)."""

    def __init__(self, rng: np.random.RandomState, mean: float, sd: float, low: float, high: float,
                 *, integer: bool = False) -> None:
        if low == high:
            raise ValueError("min and max cannot be equal for a normal distribution; use a fixed value instead")
        self.rng, self.mean, self.sd, self.low, self.high, self.integer = rng, mean, sd, low, high, integer

    def sample(self) -> float:
        v = normal_real(self.rng, self.mean, self.sd, self.low, self.high)
        return round(v) if self.integer else v

    def max(self) -> float:
        return self.high


class GeometricDist:
    """Cyclus's NegativeBinomialIntDist with one success: failures before it (see module doc)."""

    def __init__(self, rng: np.random.RandomState, p: float) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError("probability must be between zero and one")
        self.rng, self.p = rng, p

    def sample(self) -> int:
        return geometric_trials(self.rng, self.p)

    def max(self) -> int:
        return 2147483647


class BinaryDist:
    """Cyclus's BinaryIntDist: `choice_a` with probability `p`, else `choice_b`."""

    def __init__(self, rng: np.random.RandomState, p: float, choice_a: int, choice_b: int) -> None:
        if p < 0:
            raise ValueError("probability of choice A must be positive")
        self.rng, self.p, self.choice_a, self.choice_b = rng, p, choice_a, choice_b

    def sample(self) -> int:
        return self.choice_a if bernoulli(self.rng, self.p) else self.choice_b

    def max(self) -> int:
        return max(self.choice_a, self.choice_b)
