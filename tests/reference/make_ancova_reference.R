# make_ancova_reference.R -- regenerate tests/reference/ancova_reference.json
#
# References for simtrial's baseline-adjusted and non-inferiority tests, read by
# tests/test_baseline.py and tests/test_margins.py (the tests never need R):
#
#     Rscript tests/reference/make_ancova_reference.R
#
# (from anywhere: the output path is resolved relative to this script). Debian:
# apt-get install r-base-core r-cran-pwr r-cran-jsonlite. Values are written with 15
# significant digits, and the data sets are rounded to 6 decimals before lm sees them, so the
# stored data are exactly the data R used.
#
# 1. "datasets": data sets simulated here (set.seed per set): follow-up y, baseline x, arm
#    (1 = treatment), and R's lm(y ~ arm + x) coefficient of arm, its standard error, t, df and
#    two-sided p-value (summary(fit)$coefficients["arm", ]), plus the change-score t test
#    (t.test(y - x ~ arm, var.equal = TRUE)).
# 2. "power_sim": ANCOVA power at a small n by an independent simulation with lm (the call
#    and the seed are stored with the value).
# 3. "pwr_noninferiority": pwr.t2n.test one-sided power at the shifted effect
#    d = (difference - margin) / sd, the power of the non-inferiority t test.

suppressMessages({library(jsonlite); library(pwr)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

simulate <- function(seed, n_t, n_c, delta, rho, sd_x) {
  set.seed(seed)
  arm <- rep(c(1L, 0L), c(n_t, n_c))
  x <- 50 + sd_x * rnorm(n_t + n_c)
  y <- 40 + delta * arm + rho * 10 / sd_x * (x - 50) + 10 * sqrt(1 - rho^2) * rnorm(n_t + n_c)
  list(y = round(y, 6), x = round(x, 6), arm = arm)
}

fit_set <- function(d) {
  fit <- lm(y ~ arm + x, data = d)
  co <- summary(fit)$coefficients["arm", ]
  ch <- t.test(d$y[d$arm == 1] - d$x[d$arm == 1], d$y[d$arm == 0] - d$x[d$arm == 0],
               var.equal = TRUE)
  c(d, list(estimate = unname(co[1]), se = unname(co[2]), t = unname(co[3]),
            df = fit$df.residual, p = unname(co[4]),
            change_estimate = unname(ch$estimate[1] - ch$estimate[2]),
            change_t = unname(ch$statistic), change_p = ch$p.value))
}

datasets <- list(
  n60_rho06 = fit_set(simulate(1, 39, 21, 5, 0.6, 10)),
  n200_rho03 = fit_set(simulate(2, 130, 70, 3, 0.3, 12)),
  n11_rho09 = fit_set(simulate(3, 6, 5, 4, 0.9, 8)),
  n400_rho00 = fit_set(simulate(4, 200, 200, 1, 0.0, 10))
)

# Independent simulation of ANCOVA power with lm: n = 30 (20:10 by 65:35), rho = 0.5,
# difference 8, sd 10 (follow-up and baseline), two-sided alpha 0.05, 20000 trials.
sim_call <- "ancova_power(seed = 2026, reps = 20000, n_t = 20, n_c = 10, delta = 8, rho = 0.5)"
ancova_power <- function(seed, reps, n_t, n_c, delta, rho) {
  set.seed(seed)
  arm <- rep(c(1, 0), c(n_t, n_c))
  hits <- 0
  for (i in seq_len(reps)) {
    x <- 10 * rnorm(n_t + n_c)
    y <- delta * arm + rho * x + 10 * sqrt(1 - rho^2) * rnorm(n_t + n_c)
    p <- summary(lm(y ~ arm + x))$coefficients["arm", 4]
    hits <- hits + (p <= 0.05)
  }
  hits / reps
}
power_sim <- list(call = sim_call, n_t = 20, n_c = 10, delta = 8, sd = 10, rho = 0.5,
                  alpha = 0.05, reps = 20000, seed = 2026,
                  power = eval(parse(text = sim_call)))

ni <- list()
for (case in list(list(n1 = 100, n2 = 100, diff = 0, margin = -15, sd = 60),
                  list(n1 = 130, n2 = 70, diff = 5, margin = -10, sd = 40),
                  list(n1 = 50, n2 = 50, diff = -2, margin = -8, sd = 12))) {
  call <- sprintf("pwr.t2n.test(n1 = %d, n2 = %d, d = (%g - (%g)) / %g, sig.level = 0.025, alternative = \"greater\")$power",
                  case$n1, case$n2, case$diff, case$margin, case$sd)
  ni[[length(ni) + 1]] <- c(case, list(call = call, power = eval(parse(text = call))))
}

out <- list(meta = list(generated_by = "tests/reference/make_ancova_reference.R",
                        r_version = R.version.string,
                        pwr_version = as.character(packageVersion("pwr"))),
            datasets = datasets, power_sim = power_sim, pwr_noninferiority = ni)
writeLines(toJSON(out, auto_unbox = TRUE, digits = 15, pretty = TRUE),
           file.path(here, "ancova_reference.json"))
