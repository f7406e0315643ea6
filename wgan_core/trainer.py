"""The one training loop: n_critic critic steps per generator step.

Real and fake samples go through the critic in one pass (the critic has no batch statistics,
so concatenating them changes nothing but the cost); the constraint adds its penalty. The
generator's weights are averaged (EMA) for sampling and evaluation. Every ``log_every`` steps
the trainer makes a row of losses, the critic's Wasserstein estimate and its measured slopes
and hands it to the callbacks; with a run folder two built-in callbacks write it to log.csv
(:class:`~wgan_core.callbacks.CSVLogger`) and write the checkpoint every
``checkpoint_every`` steps, at the end and on Ctrl-C
(:class:`~wgan_core.callbacks.Checkpointing`).

The schedule (steps, learning rates, seed, schedule kind, EMA, files) is the trainer's
:class:`~wgan_core.phases.Phase`; everything else comes from the config.

The config's ``precision`` (``wgan_core.precision``) decides how the forward passes run: the
trainer alone enters ``torch.autocast`` around the generator's and the critic's forward passes
(the penalty's and the slope measurement's included), casts what they return to float32
before any loss, mean or norm, and under ``16-mixed`` scales the losses with a GradScaler.
Plugins never name a dtype.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import Tensor, nn

from . import tensors as T
from .callbacks import Callback, Checkpointing, CSVLogger
from .checkpoint import load_checkpoint, mismatch_error, save_checkpoint
from .config import AdversarialOptions
from .constraints import Constraint, constraint_from_config
from .data import Batch, DataSource, weighted_mean
from .distributed import Strategy
from .errors import CheckpointError, NonFiniteLossError
from .models import Generator, frozen
from .phases import Phase
from .precision import Precision, as_float32, resolve_precision
from .spaces import MetricSpace
from .units import Normalization
from .tensors import Sample

#: ``extra_loss(fake, batch) -> Tensor``: a loss added to the generator's (content, L1, ...).
ExtraLoss = Callable[[Sample, Batch], Tensor]

LOG_COLUMNS = ["step", "critic_loss", "generator_loss", "w_estimate", "penalty",
               "slope_mean", "slope_max", "extra_loss", "lr_g", "seconds"]
CHECKPOINT_FORMAT = 2


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        from .errors import ConfigError

        raise ConfigError("device 'cuda' requested but no CUDA device is available")
    return torch.device(name)


class Trainer:
    """Trains a generator against a critic under a Lipschitz constraint in a metric space.

    ``generator``, ``critic``: the two networks (``critic=None`` with a phase that is not
    ``adversarial`` trains the generator on ``extra_loss`` alone: a pixel-loss pre-training
    phase, with the same logging, EMA, checkpoints and resume). ``data(batch_size, rng) ->
    Batch`` draws real batches. ``config``: the adversarial options (batch size, critic
    steps, constraint, optimizer, log and checkpoint intervals, device). ``phase``: the
    schedule (default: ``Phase.from_config(config)``). ``constraint``: how the critic is kept
    Lipschitz; None builds the one the config names (``constraint_from_config``).
    ``space``: the data's metric space (default Euclidean, scale 1). ``run_dir``: where
    log.csv and checkpoints go (None: nowhere; the trainer then writes nothing).
    ``extra_loss(fake, batch)``: a loss added to the generator's (content, L1), weighed
    against ``adversarial_weight`` x the Wasserstein loss. ``normalization``: how the data
    were brought to the networks' units, stored in checkpoints so that loaders hand out
    samples in the data's own units. ``callbacks``: called at fit start, every step, log row
    and checkpoint (``RunContext.callbacks()`` gives the progress reporting). ``device``: where
    to train (default: the strategy's choice for ``config.device``). ``strategy``: one
    process, or a torchrun rank (pass ``RunContext.strategy``).
    """

    def __init__(
        self,
        generator: Generator,
        critic: nn.Module | None,
        data: DataSource,
        config: AdversarialOptions,
        *,
        phase: Phase | None = None,
        constraint: Constraint | None = None,
        space: MetricSpace | None = None,
        run_dir: str | Path | None = None,
        extra_loss: ExtraLoss | None = None,
        adversarial_weight: float = 1.0,
        callbacks: Sequence[Callback] = (),
        device: torch.device | str | None = None,
        strategy: Strategy | None = None,
        normalization: Normalization | None = None,
    ) -> None:
        from .spaces import EuclideanSpace

        self.config = config
        self.phase = phase if phase is not None else Phase.from_config(
            config, adversarial=critic is not None)
        if self.phase.adversarial != (critic is not None):
            raise ValueError(f"phase '{self.phase.name}' is "
                             f"{'' if self.phase.adversarial else 'not '}adversarial but the "
                             f"trainer was given {'no ' if critic is None else 'a '}critic")
        self.normalization = normalization
        #: One process, or several under torchrun (``wgan_core.distributed``).
        self.strategy = strategy if strategy is not None else Strategy()
        self.device = (torch.device(device) if device is not None
                       else self.strategy.device(config.device))
        self.strategy.shard(config.batch_size)  # a batch that does not divide: one clear error
        #: How the forward passes run (float32, or autocast to bf16/fp16): see the module doc.
        self.precision: Precision = resolve_precision(getattr(config, "precision", "32"),
                                                      self.device)
        #: The loss scaler of 16-mixed (None otherwise).
        self.scaler = self.precision.grad_scaler()
        self.space = space if space is not None else EuclideanSpace()
        self.constraint = (constraint if constraint is not None
                           else constraint_from_config(config))
        self.generator = generator.to(self.device)
        self.critic = critic
        if critic is not None:
            self.critic = self.constraint.prepare(critic, self.space).to(self.device)
        elif extra_loss is None:
            raise ValueError("a Trainer without a critic needs an extra_loss to train on")
        self.data = data
        self.extra_loss = extra_loss
        self.adversarial_weight = float(adversarial_weight)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.checkpoint_path = (self.run_dir / "checkpoints" / self.phase.checkpoint
                                if self.run_dir is not None else None)
        self.log_path = self.run_dir / self.phase.log if self.run_dir is not None else None
        self.callbacks = list(callbacks)
        if self.log_path is not None and self.checkpoint_path is not None:
            # Writing the run folder is two callbacks like any other (Lightning's loggers
            # and ModelCheckpoint): after the user's, so a row is written once they have
            # added their values and a checkpoint once the row is on disk.
            self.callbacks += [CSVLogger(self.log_path),
                               Checkpointing(self.checkpoint_path, config.checkpoint_every)]
        keys = [cb.state_key for cb in self.callbacks]
        clash = sorted({k for k in keys if keys.count(k) > 1})
        if clash:
            raise ValueError(f"two callbacks share the state_key '{clash[0]}'; give each its own "
                             f"(override Callback.state_key)")
        self.step = 0
        #: The step of the checkpoint ``fit`` resumed from; None for a fresh start.
        self.resumed_from: int | None = None
        self.rng = torch.Generator().manual_seed(self.phase.seed)
        self.ema: Generator | None = None
        if self.phase.ema_decay > 0:
            self.ema = copy.deepcopy(self.generator).eval()
            for p in self.ema.parameters():
                p.requires_grad_(False)
        self.opt_g, self.opt_c = self._optimizers()
        total = max(self.phase.steps, 1)
        decay: Callable[[int], float] = (
            (lambda s: max(0.0, 1.0 - s / total)) if self.phase.lr_schedule == "linear"
            else (lambda s: 1.0))
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, decay)
        self.sched_c = (torch.optim.lr_scheduler.LambdaLR(self.opt_c, decay)
                        if self.opt_c is not None else None)
        self._window = self._empty_window()
        self._elapsed = 0.0
        self._last_pair: tuple[Sample, Sample] | None = None
        self._last_cond: Tensor | None = None

    # ------------------------------------------------------------------ set-up
    def _optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer | None]:
        cfg = self.config
        kind = cfg.optimizer if cfg.optimizer != "auto" else self.constraint.default_optimizer

        # WGAN's betas (0, 0.9) belong to the adversarial game; a generator-only phase (e.g.
        # pixel-loss pre-training) is plain regression and gets Adam's usual (0.9, 0.999).
        betas = self.constraint.default_betas if self.critic is not None else (0.9, 0.999)

        def make(params: Any, lr: float) -> torch.optim.Optimizer:
            if kind == "rmsprop":
                return torch.optim.RMSprop(params, lr=lr)
            return torch.optim.Adam(params, lr=lr, betas=betas)

        opt_g = make(self.generator.parameters(), self.phase.lr_g)
        opt_c = (make(self.critic.parameters(), self.phase.lr_c) if self.critic is not None
                 else None)
        return opt_g, opt_c

    @staticmethod
    def _empty_window() -> dict[str, float]:
        return {"critic_loss": 0.0, "w_estimate": 0.0, "penalty": 0.0, "n_critic": 0,
                "generator_loss": 0.0, "extra_loss": 0.0, "n_gen": 0}

    @property
    def elapsed_seconds(self) -> float:
        """Seconds spent in training steps (carried across resumes)."""
        return self._elapsed

    @property
    def steps(self) -> int:
        """The generator steps this trainer's phase trains for."""
        return self.phase.steps

    @property
    def sampling_generator(self) -> Generator:
        """The generator to sample and evaluate with: the EMA copy when enabled."""
        return self.ema if self.ema is not None else self.generator

    # ------------------------------------------------------------------ steps
    def _split(self, batch: Batch) -> tuple[Batch, Tensor | None, slice | None]:
        """This process's rows of a (global) batch and their generator input; the shard is
        None in one process. Latents are drawn for the whole batch, so that every process
        continues the same random stream one process would."""
        n = T.batch_size(batch.real)
        z = batch.gen_input
        if z is None and self.generator.latent_dim is not None:
            z = self.generator.sample_latent(n, self.rng, self.device)
        if self.strategy.world_size == 1:
            return batch, z, None
        rows = self.strategy.shard(n)
        return batch.shard(rows), None if z is None else z[rows], rows

    def _generate(self, z: Tensor | None, cond: Tensor | None) -> Sample:
        """The generator's forward pass in the run's precision, returned as float32 (so that
        losses, interpolates and penalties are computed in float32)."""
        with self.precision.autocast():
            fake = self.generator(z, cond)
        return T.apply(as_float32, fake)

    def _score(self, x: Sample, cond: Tensor | None) -> Tensor:
        """The critic's forward pass in the run's precision; scores as float32."""
        assert self.critic is not None
        with self.precision.autocast():
            scores = self.critic(x, cond)
        return as_float32(scores)

    def _backward_and_step(self, loss: Tensor, opt: torch.optim.Optimizer, module: nn.Module,
                           part: str) -> None:
        """Backward, gradient all-reduce, the callbacks' hook and the optimizer step; under
        16-mixed through the GradScaler (gradients are unscaled before the callbacks see
        them, and a step with infinite gradients is skipped)."""
        opt.zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
        else:
            self.scaler.scale(loss).backward()
        # Scaled gradients are all-reduced first, so that an overflow on one process reaches
        # every process's unscale_ and all of them skip the same step.
        self.strategy.all_reduce_gradients(module.parameters())
        if self.scaler is not None:
            self.scaler.unscale_(opt)
        for cb in self.callbacks:
            cb.on_before_optimizer_step(self, part)
        if self.scaler is None:
            opt.step()
        else:
            self.scaler.step(opt)
            self.scaler.update()

    def critic_step(self, batch: Batch) -> dict[str, float]:
        """One critic update on a batch; returns its losses."""
        assert self.critic is not None and self.opt_c is not None
        local, z, rows = self._split(batch)
        n = T.batch_size(local.real)
        with torch.no_grad():
            fake = self._generate(z, local.cond)
        real, cond = local.real, local.cond
        # Real and fake share one pass (the critic has no batch statistics); the penalty is
        # the constraint's own business, one path for every constraint (see constraints.py).
        scores = self._score(T.cat([real, fake]), None if cond is None else torch.cat([cond, cond]))
        s_real, s_fake = torch.split(scores, [n, n])
        # The penalty's critic pass runs in the run's precision too; the constraint reduces
        # its gradients in float32 (constraints.py casts them before the norms).
        with self.precision.autocast():
            penalty, total_weight = self.strategy.critic_penalty(
                self.constraint, self.critic, batch, fake, rows, self.space, self.rng)
        penalty = as_float32(penalty)
        self._last_pair = (T.detach(real), T.detach(fake))
        self._last_cond = cond
        w_estimate = weighted_mean(s_real, local.weight, total_weight) - s_fake.mean()
        loss = -w_estimate + penalty
        self._backward_and_step(loss, self.opt_c, self.critic, "critic")
        self.constraint.after_step(self.critic)
        return self._reduced({"critic_loss": loss, "w_estimate": w_estimate,
                              "penalty": penalty})

    def generator_step(self, batch: Batch) -> dict[str, float]:
        """One generator update on a batch; returns its losses."""
        local, z, _ = self._split(batch)
        fake = self._generate(z, local.cond)
        loss = torch.zeros((), device=self.device)
        if self.critic is not None and self.adversarial_weight != 0:
            with frozen(self.critic):
                adv = -self._score(fake, local.cond).mean()
            loss = loss + self.adversarial_weight * adv
        extra = torch.zeros((), device=self.device)
        if self.extra_loss is not None:
            # On float32 outputs, outside autocast: the content loss is a loss like the others.
            extra = as_float32(self.extra_loss(fake, local))
            loss = loss + extra
        self._backward_and_step(loss, self.opt_g, self.generator, "generator")
        return self._reduced({"generator_loss": loss, "extra_loss": extra})

    def _reduced(self, stats: dict[str, Tensor]) -> dict[str, float]:
        """Losses as floats, averaged over processes (so that every process logs the whole
        batch's values and the NaN guard stops every process at the same step)."""
        if self.strategy.world_size == 1:
            return {k: float(v.item()) for k, v in stats.items()}
        values = self.strategy.all_reduce_mean(torch.stack([v.detach().float().reshape(())
                                                            for v in stats.values()]))
        return dict(zip(stats, values.tolist()))

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.ema is None:
            return
        # Warm-up as in common EMA practice: short runs are not dominated by the random init.
        decay = min(self.phase.ema_decay, (1.0 + self.step) / (10.0 + self.step))
        for e, p in zip(self.ema.parameters(), self.generator.parameters()):
            e.lerp_(p.detach(), 1.0 - decay)
        for e, b in zip(self.ema.buffers(), self.generator.buffers()):
            e.copy_(b)

    def _check_finite(self, stats: dict[str, float]) -> None:
        for key, value in stats.items():
            if not math.isfinite(value):
                where = (f"last good checkpoint kept at {self.checkpoint_path}"
                         if self.checkpoint_path is not None and self.checkpoint_path.exists()
                         else "no checkpoint was written yet")
                raise NonFiniteLossError(
                    f"{key.replace('_', ' ')} became {value} at step {self.step + 1}; "
                    f"stopped ({where}); try a lower learning rate or a stronger constraint")

    # ------------------------------------------------------------------ loop
    def start_from(self, generator: Generator) -> None:
        """Start from another generator's weights (the previous phase's sampling generator):
        copied into the generator and, when kept, its moving average."""
        state = generator.state_dict()
        self.generator.load_state_dict(state)
        if self.ema is not None:
            self.ema.load_state_dict(state)

    def fit(self, resume: bool = True) -> "Trainer":
        """Train until the phase's ``steps`` generator steps. With ``resume`` (the default) it
        first continues from the phase's checkpoint if one exists (``resumed_from`` is then
        its step)."""
        if resume and self.checkpoint_path is not None:
            state = None
            if self.strategy.is_main and self.checkpoint_path.exists():
                state = load_checkpoint(self.checkpoint_path, map_location="cpu")
            # Rank 0 reads the run folder and hands the state to every process (the other
            # machines of a multi-node run need not see the folder).
            state = self.strategy.broadcast_object(state)
            if state is not None:
                self.load_state_dict(state)
                self.resumed_from = self.step
        for cb in self.callbacks:
            cb.on_fit_start(self)
        try:
            self._run_until(self.phase.steps)
        except BaseException as exc:
            for cb in self.callbacks:
                cb.on_exception(self, exc)
            raise
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self

    def train_steps(self, k: int) -> dict[str, float]:
        """``k`` more generator steps (each with ``n_critic`` critic steps) from the weights the
        trainer holds now, reading and writing no checkpoint: the seam of a federated worker,
        which is handed weights (``set_weights``), trains and hands them back
        (``get_weights``). Returns the last step's losses. The learning-rate schedule runs
        over the phase's ``steps`` in all, as in ``fit``."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return self._run_until(self.step + k)

    def _run_until(self, target: int) -> dict[str, float]:
        cfg = self.config
        stats: dict[str, float] = {}
        while self.step < target:
            started = time.perf_counter()
            if self.critic is not None:
                for _ in range(cfg.n_critic):
                    c = self.critic_step(self.data(cfg.batch_size, self.rng).to(self.device))
                    self._check_finite(c)
                    for key in ("critic_loss", "w_estimate", "penalty"):
                        self._window[key] += c[key]
                    self._window["n_critic"] += 1
                    stats.update(c)
            g = self.generator_step(self.data(cfg.batch_size, self.rng).to(self.device))
            self._check_finite(g)
            stats.update(g)
            self._window["generator_loss"] += g["generator_loss"]
            self._window["extra_loss"] += g["extra_loss"]
            self._window["n_gen"] += 1
            self.sched_g.step()
            if self.sched_c is not None:
                self.sched_c.step()
            self.step += 1
            self._update_ema()
            self._elapsed += time.perf_counter() - started
            if self.step % cfg.log_every == 0 or self.step == self.phase.steps:
                self._log_row()
            for cb in self.callbacks:
                cb.on_step_end(self, self.step, stats)
        return stats

    # ------------------------------------------------------------------ weights
    #: The parts ``get_weights``/``set_weights`` know, by name.
    PARTS = ("generator", "critic", "ema", "opt_g", "opt_c")

    def get_weights(self, parts: Sequence[str] = ("generator", "critic")
                    ) -> dict[str, dict[str, Any]]:
        """Copies of the state dicts of the named parts (``PARTS``): the networks alone, or
        with their optimizer and EMA state. A part the trainer does not have is left out."""
        out = {}
        for name in parts:
            obj = self._part(name)
            if obj is not None:
                out[name] = copy.deepcopy(obj.state_dict())
        return out

    def set_weights(self, weights: Mapping[str, Mapping[str, Any]]) -> None:
        """Load state dicts by part name (as ``get_weights`` returns them); a mismatch is one
        CheckpointError line."""
        for name, state in weights.items():
            obj = self._part(name)
            if obj is None:
                raise CheckpointError(f"this trainer has no '{name}' to load weights into")
            try:
                # A copy: an optimizer's load_state_dict keeps the tensors it is given, and
                # training would then change the caller's weights (another client's) in place.
                obj.load_state_dict(copy.deepcopy(dict(state)))
            except (KeyError, RuntimeError, ValueError) as exc:
                raise mismatch_error(exc) from None

    def _part(self, name: str) -> Any:
        if name not in self.PARTS:
            raise ValueError(f"unknown part '{name}' (known: {', '.join(self.PARTS)})")
        return getattr(self, name)

    # ------------------------------------------------------------------ logging
    @property
    def log_columns(self) -> list[str]:
        """The columns of log.csv: the trainer's own, then those the callbacks add."""
        extra = [c for cb in self.callbacks for c in cb.log_columns if c not in LOG_COLUMNS]
        return LOG_COLUMNS + list(dict.fromkeys(extra))

    def measure_slopes(self, points: Sample | None = None, cond: Tensor | None = None) -> Tensor:
        """The critic's local slopes (in its input coordinates) at points; by default at the
        constraint's probe points between the latest critic step's real and fake samples
        (drawn from a generator of their own, so logging never moves the training stream)."""
        if self.critic is None:
            return torch.zeros(0)
        if points is None:
            if self._last_pair is None:
                return torch.zeros(0)
            probe = torch.Generator().manual_seed(self.step)
            points = self.constraint.probe_points(*self._last_pair, self.space, probe)
            cond = self._last_cond
        # Measured on the critic as it trains (in the run's precision); the space reduces
        # the gradients to slopes in float32.
        return self.space.slopes(lambda x: self._score(x, cond), T.detach(points)).float()

    def _log_row(self) -> None:
        """Make the row of the steps since the last one and hand it to every callback (the
        CSVLogger writes it to log.csv)."""
        w = self._window
        nc, ng = max(w["n_critic"], 1), max(w["n_gen"], 1)
        slopes = self.measure_slopes()
        nan = float("nan")
        row: dict[str, float] = {
            "step": self.step,
            "critic_loss": w["critic_loss"] / nc if w["n_critic"] else nan,
            "generator_loss": w["generator_loss"] / ng,
            "w_estimate": w["w_estimate"] / nc if w["n_critic"] else nan,
            "penalty": w["penalty"] / nc if w["n_critic"] else nan,
            "slope_mean": slopes.mean().item() if slopes.numel() else nan,
            "slope_max": slopes.max().item() if slopes.numel() else nan,
            "extra_loss": w["extra_loss"] / ng,
            "lr_g": self.opt_g.param_groups[0]["lr"],
            "seconds": self._elapsed,
        }
        for cb in self.callbacks:
            row.update(cb.log_values(self))
        self._window = self._empty_window()
        for cb in self.callbacks:
            cb.on_log(self, row)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where training stopped."""
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict() if self.critic is not None else {},
            "ema": self.ema.state_dict() if self.ema is not None else {},
            "opt_g": self.opt_g.state_dict(),
            "opt_c": self.opt_c.state_dict() if self.opt_c is not None else {},
            "sched_g": self.sched_g.state_dict(),
            "sched_c": self.sched_c.state_dict() if self.sched_c is not None else {},
            "rng": self.rng.get_state(),
            # torch's global CPU RNG too: dropout, kornia augmentation and other code inside
            # models draw from it, and an exact resume must continue their streams as well.
            "torch_rng": torch.get_rng_state(),
            "window": dict(self._window),
            "elapsed": self._elapsed,
            # Keyed by each callback's stable state_key, never by its place in the list: a
            # resume with a callback added or removed (--quiet drops the progress bar) must
            # still hand every callback its own state.
            "callbacks": {cb.state_key: cb.state_dict() for cb in self.callbacks},
            # How the data were brought to the networks' units, so that a loader can hand out
            # samples in the data's own units (``wgan_core.units``).
            "normalization": (self.normalization.state_dict()
                              if self.normalization is not None else {}),
            # The loss scale of 16-mixed ({} otherwise; weights are float32 at every
            # precision, so a run resumes at any other).
            "scaler": self.scaler.state_dict() if self.scaler is not None else {},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from ``state_dict``."""
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"checkpoint format {state.get('format')!r} is not supported")
        try:
            self.generator.load_state_dict(state["generator"])
            if self.critic is not None:
                self.critic.load_state_dict(state["critic"])
                self.opt_c.load_state_dict(state["opt_c"])  # type: ignore[union-attr]
                self.sched_c.load_state_dict(state["sched_c"])  # type: ignore[union-attr]
            if self.ema is not None:
                self.ema.load_state_dict(state["ema"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.sched_g.load_state_dict(state["sched_g"])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise mismatch_error(exc) from None
        step = int(state["step"])
        if step > self.phase.steps:
            name = self.checkpoint_path.name if self.checkpoint_path is not None else "checkpoint"
            raise CheckpointError(f"{name} is at step {step}, past the {self.phase.steps} "
                                  f"steps asked for; ask for at least {step}")
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.rng.set_state(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.step = step
        self._window = dict(state["window"])
        self._elapsed = float(state["elapsed"])
        stored = state["callbacks"]
        for cb in self.callbacks:
            cb.load_state_dict(stored.get(cb.state_key, {}))

    def save(self, path: str | Path | None = None) -> Path | None:
        """Write a checkpoint atomically (to the phase's checkpoint file by default)."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None or not self.strategy.is_main:
            return None  # rank 0 alone writes; every rank holds the same weights
        save_checkpoint(self.state_dict(), path)
        for cb in self.callbacks:
            cb.on_checkpoint(self, path)
        return path

    def load(self, path: str | Path) -> None:
        """Resume from a checkpoint file (loaded with weights_only=True)."""
        self.load_state_dict(load_checkpoint(path, map_location=self.device))
