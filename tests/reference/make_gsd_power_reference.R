# make_gsd_power_reference.R -- regenerate tests/reference/gsd_power_reference.json
#
# Operating characteristics of group-sequential designs from rpact (getPowerMeans,
# getPowerRates) that tests/test_sequential.py compares simtrial's simulated designs with.
# The tests never need R; R is needed only to regenerate the file:
#
#     Rscript tests/reference/make_gsd_power_reference.R
#
# Debian: apt-get install r-base-core r-cran-rpact. Only base R writes the JSON.
# Every case stores the exact deparsed R call that produced it.
#
# Arms: rpact's group 1 is TREATMENT, group 2 CONTROL; allocationRatioPlanned = n1/n2, so the
# 65:35 treatment:control allocation is allocationRatioPlanned = 65/35. getPowerMeans uses the
# normal approximation (normalApproximation = TRUE): simtrial's t test p-values are turned into
# z by the normal quantile, so at n = 400 the two differ by the t-versus-z difference only.
# Expected numbers of subjects are at N * informationRates (200, 300, 400 here: whole numbers).

suppressMessages(library(rpact))

calls <- list(
  means_asof_3looks_one_sided = quote(getPowerMeans(
    getDesignGroupSequential(kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025,
                             sided = 1, typeOfDesign = "asOF"),
    alternative = 27, stDev = 69.36, maxNumberOfSubjects = 400,
    allocationRatioPlanned = 65/35, normalApproximation = TRUE)),
  means_asp_2looks_two_sided = quote(getPowerMeans(
    getDesignGroupSequential(kMax = 2, informationRates = c(0.5, 1), alpha = 0.05,
                             sided = 2, typeOfDesign = "asP"),
    alternative = 20, stDev = 69.36, maxNumberOfSubjects = 400,
    allocationRatioPlanned = 65/35, normalApproximation = TRUE)),
  means_asof_bsof_nonbinding = quote(getPowerMeans(
    getDesignGroupSequential(kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025,
                             sided = 1, typeOfDesign = "asOF", typeBetaSpending = "bsOF",
                             beta = 0.2, bindingFutility = FALSE),
    alternative = 27, stDev = 69.36, maxNumberOfSubjects = 400,
    allocationRatioPlanned = 65/35, normalApproximation = TRUE)),
  rates_asof_3looks_one_sided = quote(getPowerRates(
    getDesignGroupSequential(kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025,
                             sided = 1, typeOfDesign = "asOF"),
    pi1 = 0.15, pi2 = 0.30, maxNumberOfSubjects = 400, allocationRatioPlanned = 65/35,
    directionUpper = FALSE)),
  rates_hsd_binding_futility = quote(getPowerRates(
    getDesignGroupSequential(kMax = 3, informationRates = c(0.3, 0.75, 1), alpha = 0.025,
                             sided = 1, typeOfDesign = "asHSD", gammaA = -4,
                             typeBetaSpending = "bsHSD", gammaB = -2, beta = 0.1,
                             bindingFutility = TRUE),
    pi1 = 0.15, pi2 = 0.30, maxNumberOfSubjects = 400, allocationRatioPlanned = 65/35,
    directionUpper = FALSE)),
  rates_null_asof = quote(getPowerRates(
    getDesignGroupSequential(kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025,
                             sided = 1, typeOfDesign = "asOF"),
    pi1 = 0.30, pi2 = 0.30, maxNumberOfSubjects = 400, allocationRatioPlanned = 65/35,
    directionUpper = FALSE))
)

num <- function(x) paste0("[", paste(sprintf("%.17g", as.numeric(x)), collapse = ", "), "]")
entries <- character(0)
for (id in names(calls)) {
  res <- eval(calls[[id]])
  futility <- c(as.numeric(res$futilityPerStage), 0)
  futility[is.na(futility)] <- 0  # no futility bound at that look
  call_text <- gsub("\\s+", " ", paste(deparse(calls[[id]], width.cutoff = 500L), collapse = " "))
  call_text <- gsub("\\\\", "\\\\\\\\", call_text)
  call_text <- gsub("\"", "\\\\\"", call_text)
  entries <- c(entries, sprintf(
    '    {"id": "%s", "call": "%s", "overall_reject": %s, "reject_per_stage": %s, "futility_per_stage": %s, "expected_n": %s, "critical_values": %s}',
    id, call_text, num(res$overallReject), num(res$rejectPerStage), num(futility),
    num(res$expectedNumberOfSubjects), num(res$.design$criticalValues)))
}
meta <- sprintf('  "meta": {"generated_by": "Rscript tests/reference/make_gsd_power_reference.R", "r_version": "%s", "rpact": "%s"}',
                R.version.string, as.character(packageVersion("rpact")))
out <- c("{", paste0(meta, ","), '  "cases": [', paste(entries, collapse = ",\n"), "  ]", "}")
here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) NULL)
if (is.null(here)) {
  args <- commandArgs(trailingOnly = FALSE)
  here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
}
writeLines(out, file.path(here, "gsd_power_reference.json"))
