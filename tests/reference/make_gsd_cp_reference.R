# make_gsd_cp_reference.R -- regenerate tests/reference/gsd_cp_reference.json
#
# Conditional-power futility (simtrial.design.conditional): rpact 3.3's getConditionalPower,
# evaluated at the z-scale futility bounds simtrial computes for a rule "cp:<p>" or
# "cp-trend:<p>", must return the rule's thresholds. tests/test_design_conditional.py reads
# the file; the tests never need R. R is needed only to regenerate it:
#
#     Rscript tests/reference/make_gsd_cp_reference.R
#
# Debian: apt-get install r-base-core r-cran-rpact. Only base R writes the JSON.
#
# Each case gives a design (rpact getDesignGroupSequential, with simtrial's futility bounds
# as `futilityBounds`, binding or not, so rpact computes the efficacy bounds itself) and the
# rule. The planned drift is rpact's own: sqrt(getDesignCharacteristics(design)$shift), the
# drift at which the design (futility obeyed) has power 1 - beta. At each interim look k a
# two-arm normal dataset (1:1, sd 1, maximum N = 800) is built whose cumulative z-statistic
# (normalApproximation = TRUE) equals the futility bound a_k; getConditionalPower then gives
# the probability of rejecting at a later look given Z_k = a_k, with the planned effect
# thetaH1 = 2 * drift / sqrt(N) (assumedStDev = 1) for "cp", or the observed effect for
# "cp-trend" (theta-hat = a_k / sqrt(t_k)). rpact obeys the design's later futility bounds,
# as simtrial does. The bounds below were printed by simtrial (group_sequential_design).

suppressMessages(library(rpact))

cases <- list(
  list(id = "asof_cp10", rule = "cp:0.1", binding = FALSE, thresholds = c(0.1, 0.1),
       design = quote(getDesignGroupSequential(
         kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025, sided = 1,
         typeOfDesign = "asOF", beta = 0.2, bindingFutility = FALSE,
         futilityBounds = c(-0.34428408627608797, 0.76669924695488667)))),
  list(id = "asof_trend10", rule = "cp-trend:0.1", binding = FALSE, thresholds = c(0.1, 0.1),
       design = quote(getDesignGroupSequential(
         kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025, sided = 1,
         typeOfDesign = "asOF", beta = 0.2, bindingFutility = FALSE,
         futilityBounds = c(0.81737322562540249, 1.1893195197569346)))),
  list(id = "hsd_cp_per_look_binding", rule = "cp:0.05:0.2", binding = TRUE,
       thresholds = c(0.05, 0.2),
       design = quote(getDesignGroupSequential(
         kMax = 3, informationRates = c(0.3, 0.75, 1), alpha = 0.025, sided = 1,
         typeOfDesign = "asHSD", gammaA = -4, beta = 0.2, bindingFutility = TRUE,
         futilityBounds = c(-2.2058721355481103, 0.99919084158531746)))),
  list(id = "asp_trend20_4looks", rule = "cp-trend:0.2", binding = FALSE,
       thresholds = c(0.2, 0.2, 0.2),
       design = quote(getDesignGroupSequential(
         kMax = 4, informationRates = c(0.25, 0.5, 0.75, 1), alpha = 0.025, sided = 1,
         typeOfDesign = "asP", beta = 0.2, bindingFutility = FALSE,
         futilityBounds = c(0.84616432984786549, 1.2681556156378437, 1.6707581541008769)))),
  list(id = "of_cp20_binding", rule = "cp:0.2", binding = TRUE, thresholds = c(0.2),
       design = quote(getDesignGroupSequential(
         kMax = 2, informationRates = c(0.5, 1), alpha = 0.025, sided = 1,
         typeOfDesign = "OF", beta = 0.2, bindingFutility = TRUE,
         futilityBounds = c(-0.043295477936829092)))),
  list(id = "no_early_efficacy_cp30", rule = "cp:0.3", binding = FALSE,
       thresholds = c(0.3, 0.3),
       design = quote(getDesignGroupSequential(
         kMax = 3, informationRates = c(0.4, 0.7, 1), alpha = 0.025, sided = 1,
         typeOfDesign = "noEarlyEfficacy", beta = 0.1, bindingFutility = FALSE,
         futilityBounds = c(-0.43894998319469453, 0.82501346766848171)))),
  list(id = "kd_trend15_binding", rule = "cp-trend:0.15", binding = TRUE,
       thresholds = c(0.15, 0.15),
       design = quote(getDesignGroupSequential(
         kMax = 3, informationRates = c(0.4, 0.7, 1), alpha = 0.025, sided = 1,
         typeOfDesign = "asKD", gammaA = 3, beta = 0.2, bindingFutility = TRUE,
         futilityBounds = c(0.73311298552023185, 1.1075787311624283))))
)

n_max <- 800
num <- function(x) {  # JSON numbers; an infinite bound (no stop at that look) is null
  x <- as.numeric(x)
  paste0("[", paste(ifelse(is.finite(x), sprintf("%.17g", x), "null"), collapse = ", "), "]")
}
text <- function(call) {
  out <- gsub("\\s+", " ", paste(deparse(call, width.cutoff = 500L), collapse = " "))
  gsub("\"", "\\\\\"", out)
}
entries <- character(0)
for (case in cases) {
  design <- eval(case$design)
  drift <- sqrt(getDesignCharacteristics(design)$shift)
  t <- design$informationRates
  k_max <- design$kMax
  cp <- numeric(0)
  cp_calls <- character(0)
  for (k in seq_len(k_max - 1)) {
    a <- design$futilityBounds[k]
    per_arm <- n_max * t[1:k] / 2
    effect <- a * sqrt(2 / per_arm[k])        # cumulative z at look k equals a
    data <- getDataset(overallN1 = per_arm, overallN2 = per_arm,
                       overallMeans1 = rep(effect, k), overallMeans2 = rep(0, k),
                       overallStDevs1 = rep(1, k), overallStDevs2 = rep(1, k))
    stage <- getStageResults(design, dataInput = data, stage = k, normalApproximation = TRUE)
    stopifnot(abs(stage$overallTestStatistics[k] - a) < 1e-10)
    planned <- n_max * diff(t)[k:(k_max - 1)]
    if (startsWith(case$rule, "cp-trend")) {
      call <- bquote(getConditionalPower(stage, nPlanned = .(planned)))
    } else {
      call <- bquote(getConditionalPower(stage, nPlanned = .(planned),
                                         thetaH1 = .(2 * drift / sqrt(n_max)),
                                         assumedStDev = 1))
    }
    result <- eval(call)
    cp <- c(cp, result$conditionalPower[k_max])
    cp_calls <- c(cp_calls, paste0("\"", text(call), "\""))
  }
  entries <- c(entries, sprintf(paste0(
    '    {"id": "%s", "rule": "%s", "binding": %s, "design": "%s", "looks": %s, ',
    '"futility_z": %s, "thresholds": %s, "rpact_critical_values": %s, "rpact_drift": %.17g, ',
    '"rpact_conditional_power": %s, "conditional_power_calls": [%s]}'),
    case$id, case$rule, tolower(case$binding), text(case$design), num(t),
    num(design$futilityBounds), num(case$thresholds), num(design$criticalValues), drift,
    num(cp), paste(cp_calls, collapse = ", ")))
}
meta <- sprintf(paste0('  "meta": {"generated_by": "Rscript tests/reference/make_gsd_cp_reference.R", ',
                       '"r_version": "%s", "rpact": "%s", "n_max": %d, ',
                       '"data": "getDataset(overallN1 = overallN2 = n_max * t[1:k] / 2, overallMeans1 = a_k * sqrt(2 / (n_max * t_k / 2)), overallMeans2 = 0, overallStDevs = 1); stage = getStageResults(design, dataInput = data, stage = k, normalApproximation = TRUE)"}'),
                R.version.string, as.character(packageVersion("rpact")), n_max)
out <- c("{", paste0(meta, ","), '  "cases": [', paste(entries, collapse = ",\n"), "  ]", "}")
here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) NULL)
if (is.null(here)) {
  args <- commandArgs(trailingOnly = FALSE)
  here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
}
writeLines(out, file.path(here, "gsd_cp_reference.json"))
