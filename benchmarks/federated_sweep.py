"""Federated algorithms on the default non-IID split, without Flower: a research sweep.

Ten clients on grid25's default modes split (the plugin's own split, models, client data
source and ``local.DriftCorrection``), uniform weighting by default. Each client keeps one
``wgan_core.Trainer`` (its Adam state persists across rounds, as FedGAN's agents keep
theirs; its learning rates decay linearly over rounds x K steps). A round: every client
trains K generator steps (each with n_critic critic steps) from the global weights, the
server averages. Modes:

- ``plain``: FedGAN; ``prox``: FedProx's proximal gradient (``--mu``); ``scaffold``:
  SCAFFOLD's control variates for generator and critic (as the plugin computes them);
- ``--server adam|momentum``: FedAdam's / FedAvgM's update on the averaged weights, written
  out here (the plugin uses Flower's strategies);
- ``servergen``: the clients train only critics (K x n_critic steps), the server averages
  them and takes K generator steps against the average (MD-GAN-like, a data-free
  generator step);
- ``--central``: centralised training on client-balanced data (a client uniformly at
  random, then one of its rows), R x K steps at ``--batch``;
- ``--conditional``: a client-conditioned generator (latent: noise and a one-hot client;
  each client trains its own index, evaluation draws the index in the weighting's shares), as the plugin's
  ``--client-conditioned``;
- ``--ema D [D ...]``: also evaluate exponential moving averages of the global generator over
  rounds, one per decay D.

It prints one line: modes covered, minority modes, high-quality % and exact W1 against the
pooled data (2500 samples). The plugin's own runs and references: benchmarks/federated.py.

    OMP_NUM_THREADS=1 python benchmarks/federated_sweep.py --R 200 --K 8 --mode scaffold
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from wgan_core import Trainer, Phase, EuclideanSpace
from wgan_plugins.federated.config import FederatedConfig
from wgan_plugins.federated.data import build_split, data_scale, ClientSource
from wgan_plugins.federated.models import build_models, mixture_weights
from wgan_plugins.federated.metrics import coverage, LabelAssigner, w1
from wgan_plugins.federated.local import DriftCorrection, zero_variates, PARTS
def main() -> None:
    torch.set_num_threads(1)
    p = argparse.ArgumentParser()
    p.add_argument("--K", type=int, default=8); p.add_argument("--R", type=int, default=200)
    p.add_argument("--mode", default="plain"); p.add_argument("--mu", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0); p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--batch", type=int, default=64); p.add_argument("--nc", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3); p.add_argument("--central", action="store_true")
    p.add_argument("--weighting", default="uniform"); p.add_argument("--server", default="none"); p.add_argument("--eta", type=float, default=1e-3); p.add_argument("--b1", type=float, default=0.0); p.add_argument("--b2", type=float, default=0.9); p.add_argument("--tau", type=float, default=1e-8); p.add_argument("--slr", type=float, default=1.0); p.add_argument("--smom", type=float, default=0.0)
    p.add_argument("--local", default="adam"); p.add_argument("--local-lr", type=float, default=1e-4); p.add_argument("--eta-c", type=float, default=None)
    p.add_argument("--conditional", action="store_true",
                   help="a client-conditioned generator: latent (noise, one-hot client)")
    p.add_argument("--ema", type=float, nargs="*", default=[],
                   help="also report EMAs of the global generator over rounds with these decays")
    a = p.parse_args()
    cfg = FederatedConfig(hidden=a.hidden, batch_size=a.batch, n_critic=a.nc, seed=a.seed, lr_g=a.lr, lr_c=a.lr,
                          client_conditioned=a.conditional)
    split = build_split(cfg); scale = data_scale(split)
    torch.manual_seed(a.seed)
    g0, c0 = build_models(replace(cfg, client_conditioned=False), split.dim, 1)
    t0 = time.perf_counter()
    if a.central:
        # client-balanced: pick a client uniformly then a row
        class Balanced:
            def __init__(s): s.pts=[split.client_points(c)*scale for c in range(split.n_clients)]
            def __call__(s, n, g):
                from wgan_core import Batch
                cl = torch.randint(0, len(s.pts), (n,), generator=g)
                out = torch.empty(n, split.dim)
                for c in range(len(s.pts)):
                    m = cl==c
                    k=int(m.sum())
                    if k: out[m] = s.pts[c][torch.randint(0, len(s.pts[c]), (k,), generator=g)]
                return Batch(real=out)
        tr = Trainer(g0, c0, Balanced(), cfg, phase=Phase("c", a.R*a.K, a.lr, a.lr, seed=a.seed, lr_schedule="linear"), space=EuclideanSpace(scale=scale), device="cpu")
        tr.train_steps(a.R*a.K); G = tr.generator
    else:
        import copy
        glob = {"generator": copy.deepcopy(g0.state_dict()), "critic": None}
        trainers=[]
        for c in range(split.n_clients):
            g, cr = build_models(cfg, split.dim, split.n_clients)
            if a.conditional:
                g.set_client(c)
            t = Trainer(g, cr, ClientSource(split.client_points(c), scale), cfg, phase=Phase("l", a.R*a.K, a.lr, a.lr, seed=a.seed*1000+c, lr_schedule="linear"), space=EuclideanSpace(scale=scale), device="cpu")
            if a.local == "sgd":
                # plain local SGD steps: the server's optimizer (--server adam) normalises the mean
                t.opt_g = torch.optim.SGD(t.generator.parameters(), lr=a.local_lr)
                t.opt_c = torch.optim.SGD(t.critic.parameters(), lr=a.local_lr)
                t.sched_g = torch.optim.lr_scheduler.LambdaLR(t.opt_g, lambda s: 1.0)
                t.sched_c = torch.optim.lr_scheduler.LambdaLR(t.opt_c, lambda s: 1.0)
            trainers.append(t)
        glob["critic"] = copy.deepcopy(trainers[0].critic.state_dict())
        glob["generator"] = copy.deepcopy(trainers[0].generator.state_dict())
        ci = [zero_variates(t) for t in trainers]; cglob = zero_variates(trainers[0])
        w = mixture_weights(split.sizes, a.weighting)
        M={}; V={}; emas={}
        if a.mode == "servergen":
            from wgan_core import Batch
            srv = Trainer(*build_models(cfg, split.dim, split.n_clients), ClientSource(split.client_points(0), scale), cfg, phase=Phase("s", a.R, a.lr, a.lr, seed=a.seed, lr_schedule="linear"), space=EuclideanSpace(scale=scale), device="cpu")
            srv.generator.load_state_dict(glob["generator"]); srv.critic.load_state_dict(glob["critic"])
            for r in range(a.R):
                outs=[]
                for k,t in enumerate(trainers):
                    t.set_weights({"generator": srv.generator.state_dict(), "critic": glob["critic"]})
                    for _ in range(cfg.n_critic*a.K):
                        t.critic_step(t.data(cfg.batch_size, t.rng))
                    t.sched_c.step()
                    outs.append(t.get_weights(("critic",)))
                glob["critic"] = {key: sum(w[i]*outs[i]["critic"][key].float() for i in range(len(outs))) for key in outs[0]["critic"]}
                srv.critic.load_state_dict(glob["critic"])
                for _ in range(a.K):
                    srv.generator_step(Batch(real=torch.zeros(cfg.batch_size*len(trainers), split.dim)))
                    srv.sched_g.step()
            glob["generator"] = srv.generator.state_dict()
            a.R = 0
        for r in range(a.R):
            outs=[]; newc=[]
            for k,t in enumerate(trainers):
                t.set_weights(glob)
                anchor = {p: {nme: par.detach().clone() for nme,par in (t.generator if p=="generator" else t.critic).named_parameters()} for p in PARTS}
                corr = None
                if a.mode=="scaffold":
                    corr = {p: {nme: cglob[p][nme]-ci[k][p][nme] for nme in cglob[p]} for p in PARTS}
                dc = DriftCorrection(anchor, a.mu if a.mode in ("prox","scaffold") else 0.0, corr)
                t.callbacks=[dc]
                t.train_steps(a.K)
                outs.append(t.get_weights(("generator","critic")))
                newc.append(dc.mean_gradients())
            for part in ("generator","critic"):
                avg = {key: sum(w[i]*outs[i][part][key].float() for i in range(len(outs))) for key in outs[0][part]}
                if a.server == "adam":
                    for key in avg:
                        d = avg[key] - glob[part][key].float()
                        mk=(part,key)
                        M[mk] = a.b1*M.get(mk, torch.zeros_like(d)) + (1-a.b1)*d
                        V[mk] = a.b2*V.get(mk, torch.zeros_like(d)) + (1-a.b2)*d*d
                        eta = a.eta_c if (part == "critic" and a.eta_c is not None) else a.eta
                        avg[key] = glob[part][key].float() + eta*(1-r/a.R)*M[mk]/(V[mk].sqrt()+a.tau)
                elif a.server == "momentum":
                    for key in avg:
                        d = avg[key] - glob[part][key].float()
                        mk=(part,key)
                        M[mk] = a.smom*M.get(mk, torch.zeros_like(d)) + d
                        avg[key] = glob[part][key].float() + a.slr*M[mk]
                glob[part] = avg
            for d in a.ema:
                prev = emas.setdefault(d, {k: v.clone() for k, v in glob["generator"].items()})
                for key in prev:
                    prev[key].mul_(d).add_(glob["generator"][key].float(), alpha=1 - d)
            if a.mode=="scaffold":
                ci = newc
                cglob = {p: {nme: sum(w[i]*ci[i][p][nme] for i in range(len(ci))) for nme in ci[0][p]} for p in PARTS}
        G,_ = build_models(cfg, split.dim, split.n_clients)
        G.load_state_dict(glob["generator"])
        if a.conditional:  # the global model samples the mixture the weighting aims at
            G.set_mixture(w)
    wall=time.perf_counter()-t0
    generators = {"raw": G}
    for d, state in (emas.items() if not a.central else ()):
        Ge = build_models(cfg, split.dim, split.n_clients)[0]
        Ge.load_state_dict(state); generators[f"ema {d}"] = Ge
        if a.conditional:
            Ge.set_mixture(w)
    for name, gen in generators.items():
        with torch.no_grad():
            fake = gen.sample(2500, generator=torch.Generator().manual_seed(a.seed+1))/scale
        cov = coverage(fake, split, LabelAssigner(split))
        print(vars(a), name, f"modes {cov['modes_covered']}/25 minority {cov['minority_modes_covered']}/18 HQ {100*cov['high_quality_fraction']:.1f}% W1 {w1(fake, split.points, seed=a.seed):.3f} wall {wall:.0f}s", flush=True)


if __name__ == "__main__":
    main()
