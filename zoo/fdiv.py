"""Estimate an f-divergence between two 1-D Gaussians with the zoo's f-GAN critic objective, and
compare it with the divergence's true value: ``python -m zoo.fdiv divergence=kl``.

Variational divergence estimation (Nowozin et al. 2016, section 2): a critic V maximises
E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))] on fresh samples of P and Q; at its maximum the bound equals
D_f(P || Q). The bound is zoo.losses.fgan_objective with zoo.losses' own table of g_f and f*, so the
table this command reproduces validates the f-GAN code every f-GAN run trains with. The estimate
is the bound of the trained critic on a held-out sample; the true value is the quadrature of
D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx, with f the generator whose conjugate is the f*
of zoo.losses (the convention written above zoo.losses.F_DIVERGENCES).

The table's sweep (8 divergences x 5 seeds; `make table-fdiv` runs it, then zoo.table):
    python -m zoo.fdiv -m divergence=kl,reverse_kl,pearson,neyman,hellinger,jensen_shannon,gan,total_variation seed=0,1,2,3,4
"""

from zoo.cli import command

main = command("fdiv", "zoo.jobs.fdiv")

if __name__ == "__main__":
    main()
