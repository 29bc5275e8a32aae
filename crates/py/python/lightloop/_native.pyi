"""Type stubs of lightloop's native module. Quantities are strings with units ("12 dBm") or floats
in SI units; results are in SI units (J, s, W, tokens/s)."""

import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = Union[str, "os.PathLike[str]"]
Progress = Optional[Callable[[int, int], Any]]

class InputError(ValueError):
    """Every problem of a description or an argument, at once, in `.problems`."""

    problems: List[Problem]

class Problem:
    file: str
    line: Optional[int]
    column: Optional[int]
    key: Optional[str]
    message: str
    kind: str

class _Description:
    @classmethod
    def preset(cls, name: str) -> Any: ...
    @staticmethod
    def presets() -> List[str]: ...
    @classmethod
    def from_toml(cls, source: Union[str, "os.PathLike[str]"]) -> Any: ...
    def with_(self, values: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Any: ...
    def to_toml(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def get(self, key: str) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def differences(self) -> List[Dict[str, str]]: ...

class Rig(_Description):
    @staticmethod
    def preset(name: str) -> Rig: ...
    @staticmethod
    def from_toml(source: Union[str, "os.PathLike[str]"]) -> Rig: ...
    def with_(self, values: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Rig: ...

class Workload(_Description):
    @staticmethod
    def preset(name: str) -> Workload: ...
    @staticmethod
    def from_toml(source: Union[str, "os.PathLike[str]"]) -> Workload: ...
    def with_(self, values: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Workload: ...

class Gpu(_Description):
    @staticmethod
    def preset(name: str) -> Gpu: ...
    @staticmethod
    def from_toml(source: Union[str, "os.PathLike[str]"]) -> Gpu: ...
    def with_(self, values: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Gpu: ...

class Deployment(_Description):
    @staticmethod
    def preset(name: str) -> Deployment: ...
    @staticmethod
    def from_toml(source: Union[str, "os.PathLike[str]"]) -> Deployment: ...
    def with_(self, values: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Deployment: ...

RigLike = Union[Rig, str, "os.PathLike[str]"]
WorkloadLike = Union[Workload, str, "os.PathLike[str]"]
GpuLike = Union[Gpu, str, "os.PathLike[str]"]

class Evaluation:
    j_per_token: float
    """Energy per output token, J."""
    tokens_per_s: float
    step_time: float
    """Time of one decode step of the batch, s."""
    ttft: float
    """Time to first token, s."""
    j_per_mac: float
    tops_per_w: float
    static_fraction: float
    optical_fraction: float
    snr_db: float
    ledger: Dict[str, float]
    """Energy per token by ledger item, J."""
    categories: Dict[str, float]
    warnings: List[str]
    def to_dict(self) -> Dict[str, Any]: ...

class Reservoir:
    units: int
    def __init__(
        self,
        kind: str = "esn",
        rig: Optional[RigLike] = None,
        nodes: Optional[int] = None,
        gain: Optional[float] = None,
        input_scale: float = 1.0,
        inner_noise: bool = True,
        seed: int = 1,
    ) -> None: ...
    def reset(self) -> None: ...
    def run(self, x: npt.NDArray[np.float64], progress: Progress = None) -> npt.NDArray[np.float64]: ...
    def fit(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], ridge: float = 1e-6, warmup: int = 0
    ) -> Reservoir: ...
    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...

def evaluate(rig: RigLike, workload: WorkloadLike) -> Evaluation: ...
def compare(rig: RigLike, workload: WorkloadLike, gpus: Optional[Sequence[GpuLike]] = None) -> Dict[str, Any]: ...
def audit(rig: Optional[RigLike] = None) -> List[Dict[str, Any]]: ...
def sweep_to_file(
    rig: RigLike,
    workload: WorkloadLike,
    vary: Mapping[str, Union[Sequence[Any], str]],
    out: PathLike,
    gpu: Optional[GpuLike] = None,
    threads: Optional[int] = None,
    force: bool = False,
    max_points: int = 1_000_000_000,
    progress: Progress = None,
    shard: Optional[str] = None,
) -> Dict[str, Any]: ...
def merge_sweep(shards: Sequence[PathLike], out: PathLike, force: bool = False) -> Dict[str, Any]: ...
def simulate(
    rig: Optional[RigLike] = None,
    power: Union[str, float, None] = None,
    symbols: int = 100_000,
    samples_per_symbol: int = 8,
    seed: int = 1,
    trace: bool = False,
    time_limit: float = 3600.0,
    progress: Progress = None,
    shard: Optional[str] = None,
    out: Optional[PathLike] = None,
    force: bool = False,
    estimator: str = "brute",
    pilot: int = 2000,
) -> Dict[str, Any]: ...
def model_eval(
    name: str,
    rig: Optional[RigLike] = None,
    workload: Optional[WorkloadLike] = None,
    model_dir: Optional[PathLike] = None,
    ops: Optional[Sequence[str]] = None,
    weights: Optional[Sequence[str]] = None,
    adc_range: Optional[Sequence[str]] = None,
    photons: Optional[Sequence[float]] = None,
    adc_bits: Optional[Sequence[int]] = None,
    tokens: int = 1024,
    window: int = 128,
    offset: int = 12_000,
    seed: int = 1,
    tolerance: float = 0.1,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Dict[str, Any]: ...
def model_list() -> List[Dict[str, Any]]: ...
def model_fetch(name: str, wheel: Optional[PathLike] = None) -> str: ...
def merge_counts(shards: Sequence[PathLike], out: PathLike, force: bool = False) -> Dict[str, Any]: ...
def test_plan(
    rig: Optional[RigLike] = None, quick: bool = True, seed: int = 1, threads: Optional[int] = None, progress: Progress = None
) -> Dict[str, Any]: ...
def report(
    rig: Optional[RigLike] = None,
    workload: Optional[WorkloadLike] = None,
    out: PathLike = "lightloop-report",
    gpus: Optional[Sequence[GpuLike]] = None,
    seed: int = 1,
    quick: bool = False,
    threads: Optional[int] = None,
    progress: Progress = None,
) -> Dict[str, Any]: ...
def fleet(deployment: Union[Deployment, str, "os.PathLike[str]", None] = None) -> Dict[str, Any]: ...
def set_threads(n: int) -> None: ...
def threads(threads: Optional[int] = None) -> int: ...

class OnnxModel:
    """An ONNX model (a path or its bytes); its MatMul/Gemm/Conv layers can run on the rig."""

    inputs: List[Dict[str, Any]]
    outputs: List[Dict[str, Any]]
    layers: List[Dict[str, Any]]
    def __init__(self, source: Union[PathLike, bytes]) -> None: ...
    def run(self, inputs: Mapping[str, npt.ArrayLike]) -> Dict[str, npt.NDArray[np.float32]]: ...
    def on_rig(
        self,
        rig: Optional[RigLike] = None,
        optical: Union[str, Sequence[str], None] = None,
        weights: str = "analog",
        adc: str = "calibrated",
        margin: float = 1.25,
        photons: Optional[float] = None,
        seed: int = 1,
    ) -> OnRig: ...

class OnRig:
    optical_layers: List[str]
    def run(self, inputs: Mapping[str, npt.ArrayLike], threads: Optional[int] = None) -> Dict[str, npt.NDArray[np.float32]]: ...
    def calibrate(self, inputs: Mapping[str, npt.ArrayLike]) -> None: ...
    def cost(self, shapes: Mapping[str, Sequence[int]]) -> Dict[str, Any]: ...

def experiment(
    name: str, rig: Optional[RigLike] = None, threads: Optional[int] = None, progress: Progress = None, **config: Any
) -> Dict[str, Any]:
    """A loop-network experiment (depth, readout, width, distill, curriculum, gain, halting,
    cadence, pareto, rule) with its configuration changed by **config; its tables as dicts."""
def experiment_config(name: str) -> Dict[str, Any]: ...
