# make_tte_sequential_reference.R -- regenerate tests/reference/tte_sequential_reference.json
#
# rpact (getPowerSurvival, getSampleSizeSurvival) with a group-sequential design: looks at
# 50%, 75% and 100% of the maximum events, O'Brien-Fleming-type alpha spending (asOF), no
# futility, one-sided 0.025. Control median 12 months, hazard ratio 0.7, 50 a month for 12
# months (600 patients), dropout 5% a year in both arms; 1:1 and 65:35 (group 1 = treatment,
# allocationRatioPlanned = n1/n2). tests/test_tte_sequential.py compares simtrial's looks at
# event fractions against these. The tests never need R; to regenerate:
#
#     Rscript tests/reference/make_tte_sequential_reference.R
#
# Every value is stored with the exact call that produced it ("call", pasteable into R);
# vectors (per stage) are stored whole.

suppressPackageStartupMessages(stopifnot(requireNamespace("rpact", quietly = TRUE)))
get_script_dir <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grepl("^--file=", args)])
  if (length(f) == 1) return(dirname(normalizePath(f)))
  "tests/reference"
}
out_file <- file.path(get_script_dir(), "tte_sequential_reference.json")
options(scipen = 100)
deparse1line <- function(e) paste(trimws(deparse(e, width.cutoff = 500L)), collapse = " ")
design <- quote(rpact::getDesignGroupSequential(kMax = 3, alpha = 0.025, sided = 1, beta = 0.1,
                                                informationRates = c(0.5, 0.75, 1),
                                                typeOfDesign = "asOF"))
common <- list(median2 = 12, hazardRatio = 0.7, accrualTime = quote(c(0, 12)),
               accrualIntensity = 50, dropoutRate1 = 0.05, dropoutRate2 = 0.05,
               dropoutTime = 12)
cases <- list(
  list(id = "power_r1_events340", fun = quote(rpact::getPowerSurvival),
       args = c(common, list(allocationRatioPlanned = 1, maxNumberOfEvents = 340,
                             directionUpper = FALSE)),
       fields = c("overallReject", "rejectPerStage", "expectedNumberOfEvents", "analysisTime",
                  "studyDuration", "eventsPerStage")),
  list(id = "power_r65_35_events375", fun = quote(rpact::getPowerSurvival),
       args = c(common, list(allocationRatioPlanned = quote(65/35), maxNumberOfEvents = 375,
                             directionUpper = FALSE)),
       fields = c("overallReject", "rejectPerStage", "expectedNumberOfEvents", "analysisTime",
                  "studyDuration", "eventsPerStage")),
  list(id = "samplesize_r1", fun = quote(rpact::getSampleSizeSurvival),
       args = c(common, list(allocationRatioPlanned = 1)),
       fields = c("maxNumberOfEvents", "maxNumberOfSubjects")),
  list(id = "samplesize_r65_35", fun = quote(rpact::getSampleSizeSurvival),
       args = c(common, list(allocationRatioPlanned = quote(65/35))),
       fields = c("maxNumberOfEvents", "maxNumberOfSubjects")))
num <- function(x) sprintf("%.17g", x)
str_json <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
items <- character(0)
for (case in cases) {
  expr <- as.call(c(list(case$fun, design = design), case$args))
  obj <- eval(expr)
  for (f in case$fields) {
    val <- as.numeric(obj[[f]])
    stopifnot(length(val) >= 1, all(is.finite(val)))
    value <- if (length(val) == 1) num(val) else paste0("[", paste(num(val), collapse = ", "), "]")
    items <- c(items, paste0("    {\"id\": ", str_json(paste0(case$id, "_", f)),
                             ", \"call\": ", str_json(paste0(deparse1line(expr), "$", f)),
                             ", \"value\": ", value, "}"))
  }
}
meta <- paste0("  \"meta\": {\"generated_by\": \"Rscript tests/reference/make_tte_sequential_reference.R\", ",
               "\"rpact\": ", str_json(as.character(utils::packageVersion("rpact"))), ", ",
               "\"r_version\": ", str_json(R.version.string), "}")
writeLines(c("{", paste0(meta, ","), "  \"values\": [", paste(items, collapse = ",\n"), "  ]",
             "}"), out_file)
cat("wrote", out_file, "\n")
