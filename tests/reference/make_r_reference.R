# make_r_reference.R -- regenerate tests/reference/r_reference.json
#
# Reference values from R (base R 'stats', 'pwr', 'rpact') that the Python
# test suite of simtrial compares against.  The tests themselves never need R:
# they only read r_reference.json.  R is needed only to regenerate the file:
#
#     Rscript tests/reference/make_r_reference.R
#
# (run from the repository root, or from anywhere: the output path is resolved
# relative to this script).  Debian: apt-get install r-base-core r-cran-rpact
# r-cran-pwr.  Only base R is used to write the JSON (jsonlite not required).
#
# Every entry is produced from a quoted R expression: the "call" text in the
# JSON is deparse() of exactly the expression that was evaluated, so it can be
# pasted into R to reproduce the value.
#
# Allocation convention: 65:35 means n1 = treatment = 260, n2 = control = 140
# for a total of 400; in rpact this is allocationRatioPlanned = n1/n2 = 65/35.
#
# ---------------------------------------------------------------------------
# What rpact (3.3.4) actually computes -- read from the installed source:
#   body(rpact::getPowerRates), rpact:::.getFarringtonManningValuesDiff,
#   rpact:::.getSampleSizeFixedRates, rpact:::.getSampleSizeFixedMeans,
#   rpact:::PowerAndAverageSampleNumberResult$def@refMethods$.getPowerAndAverageSampleNumber
#
# Two-group RATES power, getPowerRates(), difference, thetaH0 = 0, kMax = 1:
#   r = allocationRatioPlanned = n1/n2, N = maxNumberOfSubjects,
#   n1 = N r/(1+r), n2 = N/(1+r), delta = pi1 - pi2.
#   H0 variance: Farrington-Manning restricted MLE; for thetaH0 = 0 this is
#     the allocation-weighted POOLED rate pbar = (r*pi1 + pi2)/(1+r), i.e.
#     SE0 = sqrt(pbar(1-pbar)(1/n1 + 1/n2)).
#   H1 variance: UNPOOLED, SE1 = sqrt(pi1(1-pi1)/n1 + pi2(1-pi2)/n2).
#   Shift s = sqrt(N)*theta with
#     s = |delta|/SE1 + z*(1 - SE0/SE1),   z = qnorm(1 - alpha/sided),
#   (the z*(1-SE0/SE1) term is added with sign(delta); for delta < 0 and
#   directionUpper = NA the whole shift is negative, and |.| covers it since
#   the two-sided power is symmetric in the sign).
#   Two-sided (sided = 2): BOTH tails are added,
#     power = [1 - Phi(c - s)] + Phi(-c - s),   c = qnorm(1 - alpha/2),
#   so the main tail equals the textbook  Phi((|delta| - c*SE0)/SE1)  exactly,
#   while the opposite tail is Phi(-c - s) = Phi(-2c + c*SE0/SE1 - |delta|/SE1)
#   -- NOT the exact pooled/unpooled opposite tail Phi((-c*SE0 - |delta|)/SE1);
#   the opposite tail is small here (1.4e-6 .. 1.9e-4 for the cases below)
#   and rpact's version of it differs from the exact one by < 4e-5.
#   The main tail alone is exactly what power.prop.test() computes (pooled
#   under H0, unpooled under H1, strict = FALSE): e.g. rpact N = 200, r = 1
#   (0.621188) = power.prop.test(n = 100) (0.621176) + opposite tail 1.2e-5.
#   No continuity correction.  One-sided: only the main tail, alpha/1.
#   Sample size (getSampleSizeRates, fixed design): closed form
#     n1 = (z_{alpha/sided} sqrt(V0) + z_beta sqrt(V1))^2 / delta^2,
#     V0 = pbar(1-pbar)(1 + r), V1 = pi1(1-pi1) + r pi2(1-pi2),
#     n2 = n1/r, nFixed = n1 + n2 -- single tail (alpha/2), unrounded,
#     no continuity correction.
#
# Two-group MEANS power, getPowerMeans(normalApproximation = FALSE), kMax = 1:
#   ncp = delta/stDev * sqrt(N r)/(1+r) (= delta/(sd*sqrt(1/n1+1/n2))),
#   df = N - 2.  Main tail exact non-central t:
#     P_main = P(T_{df,ncp} > qt(1 - alpha/sided, df)),
#   converted to a normal shift s_adj = c - qnorm(1 - P_main), c = qnorm(1 - alpha/sided);
#   for sided = 2 the opposite tail is then added on the NORMAL scale:
#     power = P_main + Phi(-c - s_adj)     (not the exact t lower tail).
#   Sample size (getSampleSizeMeans, sided = 2, twoSidedPower = FALSE default):
#   root of the one-tail non-central t power at alpha/2, found with
#   .getOneDimensionalRoot(tolerance = 1e-4); checked against a tight
#   uniroot: nFixed is within ~2e-6 of the exact root (not 15 digits).
#
# Simulation (getSimulationMeans / getSimulationRates) in rpact 3.3.4:
#   * only ONE-SIDED designs are accepted ("only one-sided case is implemented
#     for the simulation design"), so the one-sided alpha = 0.025 design is
#     used for the timings below (same critical value 1.96 as two-sided 0.05).
#   * allocationRatioPlanned = 65/35 is accepted; rates use
#     n1 = ceiling(r N/(1+r)) = 260, n2 = 140.
#   * means: default normalApproximation = TRUE; each simulated trial is ONE
#     draw of the test statistic, rnorm(1, ncp, 1) -- no patient-level data.
#   * rates: each trial is rbinom(1, n1, pi1), rbinom(1, n2, pi2) and a
#     pooled-variance z statistic.  pi1 < pi2 needs directionUpper = FALSE
#     (the default TRUE tests pi1 > pi2 and gives power ~ 0).
#   So rpact trials/sec is a summary-statistic simulation speed, not a
#   patient-level one.
# ---------------------------------------------------------------------------

suppressPackageStartupMessages({
  stopifnot(requireNamespace("pwr", quietly = TRUE))
  stopifnot(requireNamespace("rpact", quietly = TRUE))
})

get_script_dir <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grepl("^--file=", args)])
  if (length(f) == 1) return(dirname(normalizePath(f)))
  "tests/reference"
}
out_file <- file.path(get_script_dir(), "r_reference.json")

pkg_label <- function(pkg) paste(pkg, utils::packageDescription(pkg)$Version)
PKG_PWR   <- pkg_label("pwr")
PKG_RPACT <- pkg_label("rpact")
PKG_STATS <- paste("stats", paste(R.version$major, R.version$minor, sep = "."))

options(scipen = 100)  # deparse 100000 as "100000", not "1e+05"
deparse1line <- function(e) paste(trimws(deparse(e, width.cutoff = 500L)), collapse = " ")

entries <- list()

# Evaluate quoted expression `expr` once (collecting warnings); for each field
# in `fields` add an entry whose call is "<expr>$<field>" (or "<expr>" when
# field is "").
add <- function(id, expr, package, fields = "", note = NULL) {
  warns <- character(0)
  obj <- withCallingHandlers(eval(expr, envir = globalenv()),
                             warning = function(w) {
                               warns <<- c(warns, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  base_call <- deparse1line(expr)
  for (f in fields) {
    val <- if (f == "") obj else obj[[f]]
    val <- as.numeric(val)
    stopifnot(length(val) == 1)
    suffix <- c(p.value = "p_value", parameter = "df", nFixed = "n_fixed",
                nFixed1 = "n_fixed1", nFixed2 = "n_fixed2")[f]
    if (is.na(suffix)) suffix <- f
    eid <- if (f == "" || length(fields) == 1) id else paste0(id, "_", suffix)
    ent <- list(id = eid,
                call = if (f == "") base_call else paste0(base_call, "$", f),
                value = val, package = package)
    if (!is.null(note)) ent$note <- note
    if (length(warns)) ent$warning <- paste(unique(warns), collapse = "; ")
    entries[[length(entries) + 1L]] <<- ent
  }
  invisible(obj)
}

fmt_id <- function(x) gsub(".", "", as.character(x), fixed = TRUE)  # 0.4694 -> "04694"

# ---------------------------------------------------------------- a. pwr t2n
for (cs in list(c(65, 35, 0.4), c(260, 140, 0.4), c(260, 140, 0.2),
                c(100, 100, 0.5), c(30, 20, 0.8))) {
  add(sprintf("pwr_t2n_power_n%g_%g_d%s", cs[1], cs[2], fmt_id(cs[3])),
      bquote(pwr::pwr.t2n.test(n1 = .(cs[1]), n2 = .(cs[2]), d = .(cs[3]),
                               sig.level = 0.05)$power),
      PKG_PWR)
}
add("pwr_t2n_power_n260_140_d03_greater",
    quote(pwr::pwr.t2n.test(n1 = 260, n2 = 140, d = 0.3, sig.level = 0.05,
                            alternative = "greater")$power),
    PKG_PWR)

# ------------------------------------------------------- b. rpact power means
for (cs in list(c(10, 400), c(5, 100))) {
  add(sprintf("rpact_power_means_t_twosided_alt%g_sd25_n%g_alloc65_35", cs[1], cs[2]),
      bquote(rpact::getPowerMeans(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.05, sided = 2),
                                  groups = 2, normalApproximation = FALSE,
                                  alternative = .(cs[1]), stDev = 25,
                                  maxNumberOfSubjects = .(cs[2]),
                                  allocationRatioPlanned = 65/35)$overallReject),
      PKG_RPACT)
  add(sprintf("rpact_power_means_t_onesided_alt%g_sd25_n%g_alloc65_35", cs[1], cs[2]),
      bquote(rpact::getPowerMeans(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.025, sided = 1),
                                  groups = 2, normalApproximation = FALSE,
                                  alternative = .(cs[1]), stDev = 25,
                                  maxNumberOfSubjects = .(cs[2]),
                                  allocationRatioPlanned = 65/35)$overallReject),
      PKG_RPACT)
}

# ------------------------------------------------------- c. rpact power rates
rates_cases <- list(
  list(id = "rpact_power_rates_twosided_p018_p030_n400_alloc65_35",
       pi1 = 0.18, pi2 = 0.30, N = 400, alloc = quote(65/35)),
  list(id = "rpact_power_rates_twosided_p04694_p03448_n400_alloc65_35",
       pi1 = 0.4694, pi2 = 0.3448, N = 400, alloc = quote(65/35)),
  list(id = "rpact_power_rates_twosided_p025_p040_n100_alloc1",
       pi1 = 0.25, pi2 = 0.40, N = 100, alloc = 1),
  # extra: N = 200 total = 100 per group, directly comparable with
  # power.prop.test(n = 100, ...) below (whose n is PER GROUP).
  list(id = "rpact_power_rates_twosided_p025_p040_n200_alloc1",
       pi1 = 0.25, pi2 = 0.40, N = 200, alloc = 1))
for (cs in rates_cases) {
  add(cs$id,
      bquote(rpact::getPowerRates(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.05, sided = 2),
                                  groups = 2, pi1 = .(cs$pi1), pi2 = .(cs$pi2),
                                  maxNumberOfSubjects = .(cs$N),
                                  allocationRatioPlanned = .(cs$alloc))$overallReject),
      PKG_RPACT)
}
# extra: one-sided analytic power matching the rates simulation in (f)
add("rpact_power_rates_onesided_p018_p030_n400_alloc65_35_lower",
    quote(rpact::getPowerRates(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.025, sided = 1),
                               groups = 2, pi1 = 0.18, pi2 = 0.30, directionUpper = FALSE,
                               maxNumberOfSubjects = 400,
                               allocationRatioPlanned = 65/35)$overallReject),
    PKG_RPACT)

add("stats_power_prop_test_n100_per_group_p025_p040",
    quote(power.prop.test(n = 100, p1 = 0.25, p2 = 0.40)$power), PKG_STATS,
    note = "n is per group (200 total); compare with rpact_power_rates_twosided_p025_p040_n200_alloc1")
add("stats_power_prop_test_n50_per_group_p025_p040",
    quote(power.prop.test(n = 50, p1 = 0.25, p2 = 0.40)$power), PKG_STATS,
    note = "n is per group (100 total); compare with rpact_power_rates_twosided_p025_p040_n100_alloc1")
add("pwr_2p2n_power_arcsine_p018_p030_n260_140",
    quote(pwr::pwr.2p2n.test(h = pwr::ES.h(0.18, 0.30), n1 = 260, n2 = 140)$power),
    PKG_PWR)

# Self-check of the formula stated in the header comment.
rpact_rates_formula <- function(pi1, pi2, N, r, alpha = 0.05) {
  n1 <- N * r / (1 + r); n2 <- N / (1 + r)
  pbar <- (r * pi1 + pi2) / (1 + r)
  se0 <- sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
  se1 <- sqrt(pi1 * (1 - pi1) / n1 + pi2 * (1 - pi2) / n2)
  cc <- qnorm(1 - alpha / 2)
  s <- abs(pi1 - pi2) / se1 + cc * (1 - se0 / se1)
  (1 - pnorm(cc - s)) + pnorm(-cc - s)
}
for (cs in rates_cases) {
  v <- entries[[which(vapply(entries, `[[`, "", "id") == cs$id)]]$value
  stopifnot(isTRUE(all.equal(v, rpact_rates_formula(cs$pi1, cs$pi2, cs$N, eval(cs$alloc)),
                             tolerance = 1e-12)))
}

# Self-check of the means formula stated in the header comment.
rpact_means_formula <- function(delta, sd, N, r, alpha = 0.05) {
  ncp <- delta / sd * sqrt(N * r) / (1 + r); df <- N - 2
  cc <- qnorm(1 - alpha / 2)
  p_main <- pt(qt(1 - alpha / 2, df), df, ncp, lower.tail = FALSE)
  s_adj <- cc - qnorm(1 - p_main)
  p_main + pnorm(-cc - s_adj)
}
for (cs in list(c(10, 400), c(5, 100))) {
  id <- sprintf("rpact_power_means_t_twosided_alt%g_sd25_n%g_alloc65_35", cs[1], cs[2])
  v <- entries[[which(vapply(entries, `[[`, "", "id") == id)]]$value
  stopifnot(isTRUE(all.equal(v, rpact_means_formula(cs[1], 25, cs[2], 65/35), tolerance = 1e-10)))
}

# ---------------------------------------------------------------- d. sizes
for (b in c(0.2, 0.1)) {
  add(sprintf("rpact_samplesize_means_t_twosided_beta%s_alt10_sd25_alloc65_35", fmt_id(b)),
      bquote(rpact::getSampleSizeMeans(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.05, sided = 2, beta = .(b)),
                                       groups = 2, normalApproximation = FALSE,
                                       alternative = 10, stDev = 25,
                                       allocationRatioPlanned = 65/35)),
      PKG_RPACT, fields = c("nFixed", "nFixed1", "nFixed2"),
      note = "rpact root search (tolerance 1e-4 on the function); within 2e-6 of a tight uniroot root: compare with rel tol ~1e-6")
}
for (b in c(0.2, 0.1)) {
  add(sprintf("rpact_samplesize_rates_twosided_beta%s_p018_p030_alloc65_35", fmt_id(b)),
      bquote(rpact::getSampleSizeRates(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.05, sided = 2, beta = .(b)),
                                       groups = 2, pi1 = 0.18, pi2 = 0.30,
                                       allocationRatioPlanned = 65/35)),
      PKG_RPACT, fields = c("nFixed", "nFixed1", "nFixed2"))
}
add("pwr_t_n_per_group_d04_power08",
    quote(pwr::pwr.t.test(d = 0.4, power = 0.8)$n), PKG_PWR,
    note = "per group, equal n; pwr's default-tolerance uniroot, within 1e-7 of the exact root: compare with rel tol ~1e-6")

# ----------------------------------------------------------- e. p-values
for (cs in list(c(3, 15, 10, 15), c(0, 65, 4, 35), c(10, 56, 0, 29), c(23, 49, 10, 29))) {
  x1 <- cs[1]; n1 <- cs[2]; x2 <- cs[3]; n2 <- cs[4]
  tag <- sprintf("x%g_n%g_x%g_n%g", x1, n1, x2, n2)
  add(paste0("stats_fisher_p_", tag),
      bquote(fisher.test(matrix(c(.(x1), .(n1 - x1), .(x2), .(n2 - x2)), 2))$p.value),
      PKG_STATS)
  add(paste0("stats_prop_test_nocorrect_p_", tag),
      bquote(prop.test(c(.(x1), .(x2)), c(.(n1), .(n2)), correct = FALSE)$p.value),
      PKG_STATS)
}
x <- c(50, 55, 60, 60, 65, 70, 70, 70, 85, 100)
y <- c(40, 45, 50, 50, 50, 55, 60, 65, 65, 90)
add("stats_t_test_pooled_ties",
    bquote(t.test(.(x), .(y), var.equal = TRUE)), PKG_STATS,
    fields = c("p.value", "statistic"))
add("stats_t_test_welch_ties",
    bquote(t.test(.(x), .(y))), PKG_STATS,
    fields = c("p.value", "statistic", "parameter"))
add("stats_wilcox_twosided_ties",
    bquote(wilcox.test(.(x), .(y), correct = TRUE, exact = FALSE)), PKG_STATS,
    fields = c("p.value", "statistic"))
add("stats_wilcox_greater_ties",
    bquote(wilcox.test(.(x), .(y), alternative = "greater", correct = TRUE, exact = FALSE)$p.value),
    PKG_STATS)

# ----------------------------------------------------- f. simulation speed
# rpact 3.3.4 rejects sided = 2 for simulation; one-sided alpha = 0.025 used.
n_iter <- 100000
n_rep <- 3L   # median of 3 timings (machine is shared); seed fixed, so the
              # simulated power is identical in every repetition
time_sim <- function(id, expr, how) {
  el <- numeric(n_rep); res <- NULL
  for (i in seq_len(n_rep)) {
    tm <- system.time(res <- eval(expr, envir = globalenv()))
    el[i] <- tm[["elapsed"]]
  }
  call_txt <- deparse1line(expr)
  entries[[length(entries) + 1L]] <<- list(
    id = paste0(id, "_trials_per_sec"),
    call = paste0("system.time(", call_txt, ")"),
    value = n_iter / stats::median(el), package = PKG_RPACT,
    note = sprintf("iterations / median elapsed seconds over %d runs (elapsed: %s); single R process; machine-dependent, for benchmarks only; %s",
                   n_rep, paste(sprintf("%.3f", el), collapse = ", "), how))
  entries[[length(entries) + 1L]] <<- list(
    id = paste0(id, "_power"),
    call = paste0(call_txt, "$overallReject"),
    value = as.numeric(res$overallReject), package = PKG_RPACT,
    note = sprintf("simulated with %d iterations, seed = 1; Monte Carlo SE ~ %.4f",
                   n_iter, sqrt(res$overallReject * (1 - res$overallReject) / n_iter)))
}
time_sim("rpact_sim_means",
         quote(rpact::getSimulationMeans(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.025, sided = 1),
                                         groups = 2, alternative = 10, stDev = 25,
                                         plannedSubjects = 400, allocationRatioPlanned = 65/35,
                                         maxNumberOfIterations = 100000, seed = 1)),
         "each trial is one draw of the z statistic, rnorm(1, ncp, 1) (normalApproximation = TRUE default), no patient-level data")
time_sim("rpact_sim_rates",
         quote(rpact::getSimulationRates(rpact::getDesignInverseNormal(kMax = 1, alpha = 0.025, sided = 1),
                                         groups = 2, pi1 = 0.18, pi2 = 0.30, directionUpper = FALSE,
                                         plannedSubjects = 400, allocationRatioPlanned = 65/35,
                                         maxNumberOfIterations = 100000, seed = 1)),
         "each trial is rbinom(1, 260, pi1), rbinom(1, 140, pi2) and a pooled-variance z statistic, no patient-level data")

# ------------------------------------------- check that each "call" text
# re-parsed and evaluated reproduces its stored value (timings excluded).
for (e in entries) {
  if (grepl("_trials_per_sec$", e$id)) next
  v <- suppressWarnings(as.numeric(eval(parse(text = e$call), envir = new.env())))
  if (!isTRUE(all.equal(v, e$value, tolerance = 1e-14)))
    stop("call text does not reproduce value for ", e$id)
}

# ------------------------------------------------------------ write JSON
json_str <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
json_num <- function(v) if (is.na(v) || !is.finite(v)) "null" else sprintf("%.15g", v)
json_val <- function(v) if (is.character(v)) json_str(v) else json_num(v)

nproc <- tryCatch(as.integer(system("nproc", intern = TRUE)),
                  error = function(e) parallel::detectCores())
loadavg <- tryCatch(readLines("/proc/loadavg", warn = FALSE)[1], error = function(e) NA_character_)
meta <- list(
  generated_by = "Rscript tests/reference/make_r_reference.R",
  date = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"),
  r_version = R.version.string,
  pwr = utils::packageDescription("pwr")$Version,
  rpact = utils::packageDescription("rpact")$Version,
  platform = R.version$platform,
  nproc = as.character(nproc),
  loadavg_at_end = loadavg,
  number_format = "%.15g",
  allocation_convention = "65:35 means n1 = treatment = 260, n2 = control = 140 of 400; rpact allocationRatioPlanned = n1/n2 = 65/35",
  simulation_note = "rpact 3.3.4 simulation accepts only one-sided designs: timings use getDesignInverseNormal(kMax = 1, alpha = 0.025, sided = 1)"
)

lines <- c("{", "  \"meta\": {")
mk <- names(meta)
lines <- c(lines, paste0("    ", vapply(mk, json_str, ""), ": ",
                         vapply(meta, json_val, ""),
                         c(rep(",", length(mk) - 1), "")))
lines <- c(lines, "  },", "  \"values\": [")
for (i in seq_along(entries)) {
  e <- entries[[i]]
  parts <- vapply(names(e), function(k) paste0(json_str(k), ": ", json_val(e[[k]])), "")
  lines <- c(lines, paste0("    {", paste(parts, collapse = ", "), "}",
                           if (i < length(entries)) "," else ""))
}
lines <- c(lines, "  ]", "}")
writeLines(lines, out_file)
cat(sprintf("wrote %d values to %s\n", length(entries), out_file))
