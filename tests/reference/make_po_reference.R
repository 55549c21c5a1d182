# make_po_reference.R -- regenerate tests/reference/po_reference.json
#
# Reference values for the proportional-odds (cumulative-logit) endpoint and test, which
# tests/test_proportional_odds.py compares simtrial against. The tests never need R; R is
# needed only to regenerate the file (from anywhere: the output path is resolved relative to
# this script):
#
#     Rscript tests/reference/make_po_reference.R
#
# Debian: apt-get install r-base-core r-cran-hmisc r-cran-jsonlite (MASS ships with R).
# About 1 minute on one core; every value is deterministic (set.seed before each simulation).
#
# 1. "whitehead": Whitehead (1993) power and sample size as Hmisc 4.8 popower / posamsize
#    compute them. The treatment arm's probabilities are Hmisc::pomodm(p_control, OR): the
#    odds of being in level j or above are multiplied by OR (OR > 1: higher levels). Hmisc's
#    p is the marginal distribution over both groups; simtrial uses the allocation-weighted
#    mixture (n_t p_t + n_c p_c) / n, computed here the same way. posamsize's fraction is the
#    treatment arm's share n_t / n.
# 2. "lr": the likelihood-ratio statistic of the treatment coefficient in MASS::polr on single
#    data sets (counts per level and arm, fitted with weights), 2 (logLik(fit) - logLik(null))
#    with the null maximum in closed form sum N_j log(N_j / N); optim's reltol is set to 1e-15
#    so that the fit is converged far beyond the 1e-6 the test asks.
# 3. "simulation": the power of the polr LR test (two-sided, alpha 0.05, chi-square 1 df) on
#    4000 data sets per case, with its Monte Carlo standard error sqrt(p (1 - p) / 4000).

suppressMessages({library(Hmisc); library(MASS); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

controls <- list(
  who4 = c(0.45, 0.28, 0.15, 0.12),
  who7 = c(0.05, 0.10, 0.30, 0.25, 0.10, 0.08, 0.12),
  three = c(0.2, 0.5, 0.3),
  skewed8 = c(0.30, 0.02, 0.03, 0.05, 0.05, 0.10, 0.15, 0.30)
)
designs <- list(list(n_t = 100, n_c = 100), list(n_t = 260, n_c = 140))
ors <- c(1.5, 0.6)

whitehead <- list()
for (name in names(controls)) for (des in designs) for (or in ors) {
  p_c <- controls[[name]]
  p_t <- pomodm(p = p_c, odds.ratio = or)
  n <- des$n_t + des$n_c
  pbar <- (des$n_t * p_t + des$n_c * p_c) / n
  power_call <- call("popower", p = pbar, odds.ratio = or, n1 = des$n_t, n2 = des$n_c,
                     alpha = 0.05)
  size_call <- call("posamsize", p = pbar, odds.ratio = or, fraction = des$n_t / n,
                    alpha = 0.05, power = 0.8)
  whitehead[[length(whitehead) + 1]] <- list(
    control = name, probs_control = p_c, probs_treatment = p_t, odds_ratio = or,
    n_t = des$n_t, n_c = des$n_c, pbar = pbar,
    power = eval(power_call)$power, power_call = paste(deparse(power_call, width.cutoff = 500),
                                                       collapse = ""),
    n = eval(size_call)$n, n_call = paste(deparse(size_call, width.cutoff = 500),
                                           collapse = ""))
}

polr_lr <- function(counts_t, counts_c) {
  k <- length(counts_t)
  d <- data.frame(y = factor(rep(seq_len(k), 2), levels = seq_len(k)),
                  x = rep(c(1, 0), each = k), w = c(counts_t, counts_c))
  d <- d[d$w > 0, ]
  d$y <- droplevels(d$y)
  fit <- polr(y ~ x, data = d, weights = w, control = list(reltol = 1e-15, maxit = 10000))
  pooled <- tapply(d$w, d$y, sum)
  null <- sum(pooled * log(pooled / sum(pooled)))
  list(lr = 2 * (as.numeric(logLik(fit)) - null), beta = unname(coef(fit)["x"]))
}

draw_counts <- function(n, p) tabulate(sample.int(length(p), n, replace = TRUE, prob = p),
                                       length(p))

lr <- list()
for (i in seq_along(controls)) for (des in designs) {
  set.seed(100 * i + des$n_t)
  p_c <- controls[[i]]
  p_t <- pomodm(p = p_c, odds.ratio = 1.4)
  counts_t <- draw_counts(des$n_t %/% 4, p_t)
  counts_c <- draw_counts(des$n_c %/% 4, p_c)
  fit <- polr_lr(counts_t, counts_c)
  lr[[length(lr) + 1]] <- list(control = names(controls)[i], counts_t = counts_t,
                               counts_c = counts_c, lr = fit$lr, beta = fit$beta)
}
# a level empty in both arms, and a lowest level empty in both
lr[[length(lr) + 1]] <- c(list(control = "empty_levels", counts_t = c(3, 0, 7, 9, 0),
                               counts_c = c(6, 0, 8, 4, 0)),
                          polr_lr(c(3, 0, 7, 9, 0), c(6, 0, 8, 4, 0)))

simulate_power <- function(seed, reps, n_t, n_c, p_t, p_c) {
  set.seed(seed)
  p <- replicate(reps, {
    fit <- polr_lr(draw_counts(n_t, p_t), draw_counts(n_c, p_c))
    pchisq(fit$lr, 1, lower.tail = FALSE)
  })
  power <- mean(p <= 0.05)
  list(power = power, mcse = sqrt(power * (1 - power) / reps))
}

cases <- list(
  list(id = "po_who4_65_35", seed = 20240601, reps = 4000, n_t = 130, n_c = 70,
       probs_control = controls$who4, odds_ratio = 1.7,
       probs_treatment = pomodm(p = controls$who4, odds.ratio = 1.7)),
  list(id = "non_po_who4_1_1", seed = 20240602, reps = 4000, n_t = 90, n_c = 90,
       probs_control = controls$who4, odds_ratio = NA,
       probs_treatment = c(0.40, 0.40, 0.10, 0.10))
)
simulation <- lapply(cases, function(case) {
  res <- simulate_power(case$seed, case$reps, case$n_t, case$n_c, case$probs_treatment,
                        case$probs_control)
  c(case, res, call = sprintf(
    "set.seed(%d); mean(replicate(%d, polr LR p-value of tabulated sample.int draws) <= 0.05)",
    case$seed, case$reps))
})

out <- list(meta = list(R = R.version.string, Hmisc = as.character(packageVersion("Hmisc")),
                        MASS = as.character(packageVersion("MASS")),
                        script = "tests/reference/make_po_reference.R"),
            whitehead = whitehead, lr = lr, simulation = simulation)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           file.path(here, "po_reference.json"))
