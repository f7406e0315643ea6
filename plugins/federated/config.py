"""Configuration of the federated plugin (also the keys of the Flower App's run config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

from wgan_core.config import (
    AdversarialOptions,
    ConfigError,
    ConstraintName,
    build_config,
    field_specs,
    option,
)
from wgan_core.refine import check_dot_options

Algorithm = Literal["fedgan", "private-critics"]
Weighting = Literal["samples", "uniform", "sqrt"]
Aggregator = Literal["mean", "median", "trimmed-mean", "krum"]
DriftCorrection = Literal["none", "prox", "scaffold"]
ServerOptimizer = Literal["none", "momentum", "adam"]


@dataclass
class FederatedConfig(AdversarialOptions):
    """Federated WGAN training on Flower: clients, rounds, aggregation, faults."""

    # A client trains rounds x local_steps generator steps in all, and the global generator
    # is the aggregate of the clients': no ``steps`` and no EMA to offer.
    batch_size: int = option(32, "Samples per batch of each client (10 clients: a global batch "
                                 "of 320).")
    constraint: ConstraintName = option(
        "lp", "Lipschitz constraint: one-sided penalty (WGAN-LP, the default, as in the toy), "
        "gradient penalty, spectral norm, weight clipping or none.")
    lr_g: float = option(1e-3, "Generator learning rate (decayed linearly over the rounds).")
    checkpoint_every: int = option(100, "Write checkpoints/last.pt every k rounds (and after "
                                        "the last).")
    lr_c: float = option(1e-3, "Critic learning rate (decayed linearly over the rounds).")
    lr_schedule: Literal["constant", "linear"] = option(
        "linear", "linear: each round's learning rate is lr x (1 - (round-1)/rounds); "
                  "constant: no decay.")

    clients: int = option(10, "Number of clients (Flower SuperNodes).")
    rounds: int = option(300, "Federated rounds (300 x 10 local steps: 3000 generator steps, "
                                "as the toy trains; README).")
    local_steps: int = option(10, "K: generator steps each client trains per round "
                                 "(FedGAN's synchronisation interval; with SCAFFOLD's "
                                 "correction the clients do not drift apart, README).")
    partition: Literal["modes", "dirichlet", "iid"] = option(
        "modes", "How the data is split: modes (one majority client on a few modes, the others "
                 "on the rest; README), dirichlet (over mode labels, --alpha) or iid.")
    alpha: float = option(0.5, "Dirichlet concentration for --partition dirichlet.")
    majority_share: float = option(0.8, "Share of all samples held by the majority client "
                                        "(--partition modes).")
    samples: int = option(5000, "Points drawn from a built-in mixture before the split.")
    dataset: Literal["grid25", "ring8", "digits"] = option(
        "grid25", "Built-in data (ignored when --data is given).")
    data: Path | None = option(None, "Points CSV to learn instead; a 'client' column, if "
                                     "present, says which client holds each row.")
    algorithm: Algorithm = option(
        "fedgan", "fedgan: average generator and critic; private-critics: average only the "
                  "generator, each client keeps its critic.")
    # Why conditioning is the default: averaging one generator's steps across non-IID clients
    # descends the sum of the clients' distances, whose minimiser lies between their modes;
    # with the client index as input, each client's distance is minimised by its own data.
    client_conditioned: bool = option(
        True, "The generator also takes a one-hot client index beside its noise: each client "
              "trains the generator of its own index, samples draw the index by --weighting "
              "(README). Off: one unconditioned generator, pulled between the clients.")
    weighting: Weighting = option(
        "uniform", "Client weight in the average: samples (FedAvg's n_i), uniform, or sqrt(n_i).")
    aggregator: Aggregator = option(
        "mean", "Flower strategy: mean (FedAvg), median (FedMedian), trimmed-mean "
                "(FedTrimmedAvg) or krum (Krum).")
    trim_beta: float = option(0.2, "Fraction cut from each tail by --aggregator trimmed-mean.")
    krum_malicious: int = option(1, "Number of malicious clients Krum assumes.")
    faulty_clients: int = option(0, "Fault injection: the last K clients misbehave (--fault).")
    fault: Literal["crash", "nan", "scaled"] = option(
        "crash", "What a faulty client does: crash (raises), nan (replies NaN weights) or "
                 "scaled (replies its weights x --fault-scale).")
    fault_scale: float = option(100.0, "Factor of --fault scaled.")
    drift_correction: DriftCorrection = option(
        "scaffold", "Correction of the local steps' drift on non-IID clients: none, prox (FedProx's "
                "proximal term, --proximal-mu) or scaffold (SCAFFOLD's control variates for "
                "generator and critic).")
    proximal_mu: float = option(0.01, "mu of FedProx's term mu/2 ||w - w_global||^2 "
                                      "(--drift-correction prox).")
    server_optimizer: ServerOptimizer = option(
        "none", "Server optimizer on the averaged update (Flower's strategies): none (FedAvg), "
                "momentum (FedAvgM) or adam (FedAdam); with --aggregator mean only.")
    server_lr: float = option(1.0, "Server learning rate of --server-optimizer (FedAvgM's "
                                   "server_learning_rate, FedAdam's eta), decayed as the "
                                   "clients' rates.")
    server_momentum: float = option(0.9, "FedAvgM's momentum, or FedAdam's beta_1.")
    eval_every: int = option(50, "Evaluate the global generator (rounds.csv, progress line) "
                                 "every k rounds; the last round always.")
    round_timeout: float = option(600.0, "Seconds the server waits for replies in a round.")
    latent_dim: int = option(8, "Latent dimension.")
    hidden: int = option(256, "Hidden units per layer of both MLPs (the toy's width).")
    depth: int = option(3, "Hidden layers of both MLPs.")
    n_eval: int = option(2500, "Generated samples for the evaluation.")
    ray_cpus: int = option(0, "CPUs Ray may use in simulation (clients run one per CPU); 0: "
                              "every core of the machine.")
    # Discriminator optimal transport with the global critic (wgan_core.refine, as the toy
    # offers it): refined samples are reported beside the raw ones (dot_ metrics).
    dot_steps: int = option(
        30, "DOT refinement of the final samples with the global critic: Adam steps (0: raw "
            "samples only; fedgan only, a private-critics run has no global critic).")
    dot_lr: float = option(0.03, "DOT step size (Adam), in the critic's input units.")
    dot_slope_factor: float = option(
        0.5, "DOT moves a sample while the critic rises faster than this fraction of its "
             "largest measured slope K_eff.")

    def validate(self) -> None:
        super().validate()
        if self.clients < 1:
            raise ConfigError(f"clients must be at least 1, got {self.clients}")
        for name in ("rounds", "local_steps", "latent_dim", "hidden", "depth", "eval_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.alpha > 0:
            raise ConfigError(f"alpha must be positive, got {self.alpha}")
        if not 0 < self.majority_share < 1:
            raise ConfigError(f"majority_share must be in (0, 1), got {self.majority_share}")
        if self.samples < 10:
            raise ConfigError(f"samples must be at least 10, got {self.samples}")
        if not 0 <= self.trim_beta < 0.5:
            raise ConfigError(f"trim_beta must be in [0, 0.5), got {self.trim_beta}")
        if self.krum_malicious < 0:
            raise ConfigError(f"krum_malicious must be >= 0, got {self.krum_malicious}")
        if not 0 <= self.faulty_clients <= self.clients:
            raise ConfigError(f"faulty_clients must be between 0 and clients "
                              f"({self.clients}), got {self.faulty_clients}")
        if not self.round_timeout > 0:
            raise ConfigError(f"round_timeout must be positive, got {self.round_timeout}")
        if self.n_eval < 10:
            raise ConfigError(f"n_eval must be at least 10, got {self.n_eval}")
        if self.ray_cpus < 0:
            raise ConfigError(f"ray_cpus must be >= 0, got {self.ray_cpus}")
        if self.proximal_mu < 0:
            raise ConfigError(f"proximal_mu must be >= 0, got {self.proximal_mu}")
        if not self.server_lr > 0:
            raise ConfigError(f"server_lr must be positive, got {self.server_lr}")
        if not 0 <= self.server_momentum < 1:
            raise ConfigError(f"server_momentum must be in [0, 1), got {self.server_momentum}")
        check_dot_options(self.dot_steps, self.dot_lr, self.dot_slope_factor)
        # Combinations that cannot work, each named by its options.
        if self.drift_correction == "scaffold" and self.algorithm == "private-critics":
            raise ConfigError("drift_correction 'scaffold' needs every network averaged; it "
                              "does not combine with --algorithm private-critics")
        if self.server_optimizer != "none" and self.aggregator != "mean":
            raise ConfigError(f"server_optimizer '{self.server_optimizer}' steps on the "
                              f"weighted mean; it does not combine with --aggregator "
                              f"{self.aggregator}")
        if self.server_optimizer != "none" and self.drift_correction == "scaffold":
            raise ConfigError(f"server_optimizer '{self.server_optimizer}' would also step on "
                              f"SCAFFOLD's control variates; use it with --drift-correction "
                              f"none or prox")


# ---------------------------------------------------------------------- Flower's run config

#: Run-config keys the deployed ServerApp reads itself (where the run folder goes).
RUN_ONLY_KEYS = ("out", "resume")


def options_from_run_config(run_config: Mapping[str, Any]) -> dict[str, Any]:
    """Config options from a Flower run config: dashes or underscores; "" means unset."""
    names = {s.name for s in field_specs(FederatedConfig)}
    out: dict[str, Any] = {}
    for key, value in run_config.items():
        name = key.replace("-", "_")
        if name in RUN_ONLY_KEYS:
            continue
        if name not in names:
            raise ConfigError(f"Flower run config: unknown key '{key}'")
        if value == "":
            continue
        out[name] = value
    return out


def config_from_run_config(run_config: Mapping[str, Any]) -> FederatedConfig:
    """A validated FederatedConfig from a Flower run config."""
    return build_config(FederatedConfig, options_from_run_config(run_config),
                        where="Flower run config")
