# make_strata_cox_reference.R -- regenerate tests/reference/strata_cox_reference.json
#
# The stratified (G-rho weighted) log-rank statistic of R survival::survdiff and the Cox
# estimate of survival::coxph (Efron's ties, its default; unstratified and stratified) on
# simulated data sets, which tests/test_strata_cox.py compares
# simtrial.kernels.survival.row_of_data against (survdiff to 1e-8, coxph to 1e-6). The tests
# never need R; to regenerate:
#
#     Rscript tests/reference/make_strata_cox_reference.R
#
# Each data set is simulated here (set.seed per set; exponential event times whose hazard is
# the arm's times the stratum's multiplier; independent uniform censoring) and stored with the
# values: "time", "status" (1 = event), "treated" (1 = treatment), "stratum" (1, 2, ...).
# Times are rounded (to 6 decimals, or to whole or half months for ties) before R sees them,
# and written with 17 significant digits, so the stored data are exactly the data R used.
# Values: "o_minus_e" = sum over strata of obs - exp of the treatment group (with strata,
# survdiff's obs and exp are matrices, groups x strata), "var" its variance (var[2, 2]), "coef" = coxph's coefficient of treated (log hazard ratio),
# "coef_var" its variance (vcov: the inverse of the information at the estimate).

suppressMessages(library(survival))
get_script_dir <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grepl("^--file=", args)])
  if (length(f) == 1) return(dirname(normalizePath(f)))
  "tests/reference"
}
out_file <- file.path(get_script_dir(), "strata_cox_reference.json")

simulate <- function(seed, n_t, n_c, prevalence, multiplier, rate_c, hr, censor_max, digits) {
  set.seed(seed)
  treated <- rep(c(1L, 0L), c(n_t, n_c))
  stratum <- sample(seq_along(prevalence), n_t + n_c, replace = TRUE, prob = prevalence)
  rate <- rate_c * multiplier[stratum] * ifelse(treated == 1L, hr, 1)
  event <- rexp(n_t + n_c, rate)
  censor <- runif(n_t + n_c, 0, censor_max)
  time <- pmax(round(pmin(event, censor), digits), 10^-digits)
  list(time = time, status = as.integer(event <= censor), treated = treated,
       stratum = stratum)
}

sets <- list(
  two_strata_1to1 = simulate(11, 80, 80, c(0.6, 0.4), c(1, 2), 0.08, 0.7, 30, 6),
  two_strata_65_35_whole_months = simulate(12, 130, 70, c(0.6, 0.4), c(1, 1.8), 0.06, 0.6,
                                           30, 0),
  three_strata_heavy_censoring = simulate(13, 90, 60, c(0.5, 0.3, 0.2), c(0.5, 1, 3), 0.02,
                                          0.8, 12, 1),
  one_stratum_ties = simulate(14, 60, 60, 1, 1, 0.1, 0.7, 20, 0)
)

cases <- list()
for (name in names(sets)) {
  d <- as.data.frame(sets[[name]])
  strat <- length(unique(d$stratum)) > 1
  for (rho in c(0, 1)) {
    f <- if (strat) Surv(time, status) ~ treated + strata(stratum) else
      Surv(time, status) ~ treated
    fit <- survdiff(f, data = d, rho = rho)
    obs <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs  # groups x strata
    expected <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
    cases[[length(cases) + 1]] <- list(
      id = sprintf("%s_survdiff_rho%g", name, rho), data = name, kind = "survdiff", rho = rho,
      call = sprintf("survival::survdiff(%s, data = %s, rho = %g)",
                     paste(deparse(f), collapse = ""), name, rho),
      o_minus_e = unname(obs[2] - expected[2]), var = fit$var[2, 2])
  }
  for (stratified in unique(c(FALSE, strat))) {
    f <- if (stratified) Surv(time, status) ~ treated + strata(stratum) else
      Surv(time, status) ~ treated
    fit <- coxph(f, data = d)
    cases[[length(cases) + 1]] <- list(
      id = sprintf("%s_coxph%s", name, if (stratified) "_strata" else ""), data = name,
      kind = "coxph", stratified = stratified,
      call = sprintf("coef(survival::coxph(%s, data = %s))", paste(deparse(f), collapse = ""),
                     name),
      coef = unname(coef(fit)), coef_var = unname(vcov(fit)[1, 1]))
  }
}

num <- function(x) sprintf("%.17g", x)
str_json <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
value <- function(v) if (is.character(v)) str_json(v) else if (is.logical(v))
  tolower(as.character(v)) else num(v)
case_json <- function(case) paste0("    {", paste(vapply(names(case), function(k)
  paste0(str_json(k), ": ", value(case[[k]])), ""), collapse = ", "), "}")
data_json <- function(name) {
  d <- sets[[name]]
  paste0("    ", str_json(name), ": {", paste(vapply(names(d), function(k)
    paste0(str_json(k), ": ", vec(d[[k]])), ""), collapse = ", "), "}")
}
meta <- paste0("  \"meta\": {\"generated_by\": \"Rscript tests/reference/make_strata_cox_reference.R\", ",
               "\"survival\": ", str_json(as.character(utils::packageVersion("survival"))), ", ",
               "\"r_version\": ", str_json(R.version.string), "}")
writeLines(c("{", paste0(meta, ","), "  \"cases\": [",
             paste(vapply(cases, case_json, ""), collapse = ",\n"), "  ],", "  \"data\": {",
             paste(vapply(names(sets), data_json, ""), collapse = ",\n"), "  }", "}"), out_file)
cat("wrote", out_file, "\n")
