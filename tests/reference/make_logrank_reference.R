# make_logrank_reference.R -- regenerate tests/reference/logrank_reference.json
#
# The (G-rho weighted) log-rank statistic of R survival::survdiff on simulated data sets, which
# tests/test_survival_kernels.py compares simtrial.kernels.survival.logrank_of_data against
# (to 1e-8). The tests never need R; R is needed only to regenerate the file:
#
#     Rscript tests/reference/make_logrank_reference.R
#
# (from anywhere: the output path is resolved relative to this script). Debian:
# apt-get install r-base-core r-cran-survival r-cran-jsonlite. jsonlite writes 15 significant
# digits; every time is rounded to at most 6 decimals before survdiff sees it, so the stored
# data are exactly the data R used.
#
# Each data set is simulated here (set.seed per set, exponential or piecewise event times,
# independent censoring) and stored with the values, so the tests read the same data:
# "time", "status" (1 = event) and "treated" (1 = treatment). Rounding the times (to whole
# months, half months or tenths) creates ties, between events and between events and
# censorings; survdiff then counts the censored as at risk at the tied time. Values, per data
# set and rho: "o_minus_e" = obs - exp of the treatment group, "var" = its variance (var[2, 2]),
# "chisq", "obs" and "exp" per group (control, treatment). survdiff's timefix = TRUE merges
# times equal to within ~1.5e-8 relative; the stored times are rounded or far apart, so it
# changes nothing here.

suppressMessages(library(survival))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

simulate <- function(seed, n_t, n_c, rate_t, rate_c, censor_max, digits) {
  set.seed(seed)
  treated <- rep(c(1L, 0L), c(n_t, n_c))
  event <- rexp(n_t + n_c, ifelse(treated == 1L, rate_t, rate_c))
  censor <- runif(n_t + n_c, 0, censor_max)
  time <- pmin(event, censor)
  time <- pmax(round(time, digits), 10^-digits)
  list(time = time, status = as.integer(event <= censor), treated = treated)
}

sets <- list(
  continuous_1to1 = simulate(1, 60, 60, 0.07, 0.1, 30, 6),
  whole_months_1to1 = simulate(2, 60, 60, 0.07, 0.1, 30, 0),
  half_months_65_35 = {
    d <- simulate(3, 130, 70, 0.07, 0.1, 30, 1)
    d$time <- round(d$time * 2) / 2
    d$time[d$time == 0] <- 0.5
    d
  },
  heavy_censoring_65_35 = simulate(4, 130, 70, 0.01, 0.015, 12, 1),
  small_with_last_at_risk_alone = list(time = c(1, 2, 2, 3, 4, 5, 5, 6),
                                       status = c(1L, 1L, 0L, 1L, 1L, 0L, 1L, 1L),
                                       treated = c(1L, 0L, 1L, 0L, 1L, 0L, 1L, 1L))
)

cases <- list()
for (name in names(sets)) {
  d <- as.data.frame(sets[[name]])
  for (rho in c(0, 1)) {
    fit <- survdiff(Surv(time, status) ~ treated, data = d, rho = rho)
    cases[[length(cases) + 1]] <- list(
      id = sprintf("%s_rho%g", name, rho), data = name, rho = rho,
      call = sprintf("survival::survdiff(Surv(time, status) ~ treated, data = %s, rho = %g)",
                     name, rho),
      o_minus_e = unname(fit$obs[2] - fit$exp[2]), var = fit$var[2, 2],
      chisq = fit$chisq, obs = unname(fit$obs), exp = unname(fit$exp),
      censored_fraction = 1 - mean(d$status))
  }
}

out <- list(
  meta = list(generated_by = "Rscript tests/reference/make_logrank_reference.R",
              date = format(Sys.time(), "%Y-%m-%d %H:%M:%S UTC", tz = "UTC"),
              r_version = R.version.string,
              survival = as.character(packageVersion("survival")),
              groups = "treated: 0 = control (group 1 of survdiff), 1 = treatment (group 2)"),
  data = sets, cases = cases)
path <- file.path(here, "logrank_reference.json")
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE), path)
cat("wrote", path, "\n")
