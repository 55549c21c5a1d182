# make_gsd_samplesize_reference.R -- regenerate tests/reference/gsd_samplesize_reference.json
#
# Maximum sample sizes of group-sequential designs from rpact (getSampleSizeMeans,
# getSampleSizeRates) that tests/test_sequential_search.py compares `simtrial samplesize` on a
# scenario with a [design] table with. The tests never need R; R is needed only to regenerate:
#
#     Rscript tests/reference/make_gsd_samplesize_reference.R
#
# Debian: apt-get install r-base-core r-cran-rpact. Only base R writes the JSON.
# Every case stores the exact deparsed R call that produced it.
#
# Arms: rpact's group 1 is TREATMENT, group 2 CONTROL; allocationRatioPlanned = n1/n2, so the
# 65:35 treatment:control allocation is allocationRatioPlanned = 65/35. getSampleSizeMeans
# uses the normal approximation (normalApproximation = TRUE: the canonical normal model);
# getSampleSizeRates uses rpact's drift for two proportions at every look (see
# tests/test_sequential.py). maxNumberOfSubjects is continuous (not rounded up), as are nFixed
# (the fixed design's n) and expectedNumberOfSubjectsH1; inflation_factor is
# getDesignCharacteristics(design)$inflationFactor.

suppressMessages(library(rpact))

designs <- list(
  asof_bsof_nonbinding = quote(getDesignGroupSequential(
    kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025, sided = 1,
    typeOfDesign = "asOF", typeBetaSpending = "bsOF", beta = 0.2, bindingFutility = FALSE)),
  asp_two_sided = quote(getDesignGroupSequential(
    kMax = 2, informationRates = c(0.5, 1), alpha = 0.05, sided = 2, typeOfDesign = "asP",
    beta = 0.1)),
  asof_one_sided = quote(getDesignGroupSequential(
    kMax = 3, informationRates = c(0.5, 0.75, 1), alpha = 0.025, sided = 1,
    typeOfDesign = "asOF", beta = 0.2))
)

calls <- list(
  means_asof_bsof_nonbinding = list("asof_bsof_nonbinding", quote(getSampleSizeMeans(
    design, alternative = 27, stDev = 69.36, allocationRatioPlanned = 65/35,
    normalApproximation = TRUE))),
  means_asp_two_sided = list("asp_two_sided", quote(getSampleSizeMeans(
    design, alternative = 20, stDev = 69.36, allocationRatioPlanned = 65/35,
    normalApproximation = TRUE))),
  rates_asof_one_sided = list("asof_one_sided", quote(getSampleSizeRates(
    design, pi1 = 0.15, pi2 = 0.30, allocationRatioPlanned = 65/35)))
)

num <- function(x) paste0("[", paste(sprintf("%.17g", as.numeric(x)), collapse = ", "), "]")
text <- function(call) {
  out <- gsub("\\s+", " ", paste(deparse(call, width.cutoff = 500L), collapse = " "))
  gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", out))
}
entries <- character(0)
for (id in names(calls)) {
  design_call <- designs[[calls[[id]][[1]]]]
  design <- eval(design_call)
  res <- eval(calls[[id]][[2]])
  entries <- c(entries, sprintf(
    '    {"id": "%s", "design_call": "%s", "call": "%s", "max_n": %s, "n_fixed": %s, "expected_n_h1": %s, "inflation_factor": %s, "critical_values": %s}',
    id, text(design_call), text(calls[[id]][[2]]), num(res$maxNumberOfSubjects),
    num(res$nFixed), num(res$expectedNumberOfSubjectsH1),
    num(getDesignCharacteristics(design)$inflationFactor), num(design$criticalValues)))
}
meta <- sprintf('  "meta": {"generated_by": "Rscript tests/reference/make_gsd_samplesize_reference.R", "r_version": "%s", "rpact": "%s"}',
                R.version.string, as.character(packageVersion("rpact")))
out <- c("{", paste0(meta, ","), '  "cases": [', paste(entries, collapse = ",\n"), "  ]", "}")
here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) NULL)
if (is.null(here)) {
  args <- commandArgs(trailingOnly = FALSE)
  here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
}
writeLines(out, file.path(here, "gsd_samplesize_reference.json"))
