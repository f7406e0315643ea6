"""wgan_core: the four seams of a Wasserstein GAN, one trainer, domain-free metrics, plugin API.

Generator and Critic (models), Constraint (constraints), MetricSpace (spaces); Trainer plays
them against each other. The seams and the trainer know no domain: helpers that two plugins
of one domain share (images, graphs) live in ``wgan_core.domains`` and are imported from
there, never from here.
"""

from .callbacks import Callback, Checkpointing, CSVLogger, Progress
from .checkpoint import (load_checkpoint, load_critic, load_sampling_generator,
                         save_checkpoint)
from .config import (AdversarialOptions, RunOptions, TrainConfig, build_config, config_to_dict,
                     option)
from .constraints import (Constraint, GradientPenalty, NoConstraint, SpectralNormalization,
                          WeightClipping, ZeroCentredPenalty, constraint_from_config,
                          make_constraint)
from .critic_fit import fit_critic
from .data import Batch, DataSource, TensorSource, weighted_mean
from .groups import GroupedSamples
from .distributed import Strategy, TorchDistributed, strategy_from_environment
from .errors import (CheckpointError, CheckpointMismatchError, ConfigError, DataError,
                     NonFiniteLossError, WganError)
from .metrics import critic_w_estimate, mode_coverage, prdc, w1_exact
from .models import Critic, Generator, MLPCritic, MLPGenerator
from .phases import Phase, fit_phases
from .plugin import Plugin, RunContext, RunResult
from .runs import execute, load_run, read_run_config, write_json
from .refine import dot_refine, effective_lipschitz
from .spaces import EuclideanSpace, MetricSpace
from .trainer import Trainer, resolve_device
from .units import DataUnits, Normalization, in_data_units

__version__ = "0.1.0"

__all__ = sorted([
    "AdversarialOptions", "CSVLogger", "Checkpointing", "DataUnits", "Normalization", "Phase",
    "RunOptions", "fit_critic", "fit_phases", "in_data_units",
    "Batch", "Callback", "CheckpointError", "CheckpointMismatchError", "ConfigError", "Constraint", "Critic", "DataError",
    "DataSource", "EuclideanSpace", "Generator", "GradientPenalty", 
    "GroupedSamples", "MLPCritic", "MLPGenerator", "MetricSpace", "NoConstraint",
    "NonFiniteLossError", "Plugin", "Progress", "RunContext", "RunResult",
    "SpectralNormalization", "Strategy", "TensorSource", "TorchDistributed", "TrainConfig",
    "Trainer", "WeightClipping", "WganError", "ZeroCentredPenalty", "build_config", "config_to_dict",
    "constraint_from_config", "critic_w_estimate", "dot_refine", "effective_lipschitz",
    "execute", "load_checkpoint", "load_critic", "load_run",
    "load_sampling_generator", "make_constraint", "mode_coverage", "option", "prdc",
    "read_run_config", "resolve_device", "save_checkpoint", "strategy_from_environment",
    "w1_exact", "weighted_mean", "write_json",
])
