# make_tte_samplesize_reference.R -- regenerate tests/reference/tte_samplesize_reference.json
#
# rpact (getSampleSizeSurvival) events, patients and analysis time for the plans that
# `simtrial samplesize` of a time-to-event endpoint reports (tests/test_tte_samplesize.py).
# The tests never need R; to regenerate:
#
#     Rscript tests/reference/make_tte_samplesize_reference.R
#
# Model: control median 12 months (exponential), hazard ratio 0.7, dropout 5% a year in both
# arms, one-sided alpha 0.025, power 0.9, allocation 1:1 and 65:35 (group 1 = treatment,
# allocationRatioPlanned = 65/35).  The three plans of simtrial.search_events.plan_patients:
#   "written":  accrual 50 a month for 12 months (600 patients), no follow-up: analysisTime
#               solved (absolute accrualIntensity with an accrual end);
#   "rate":     50 a month open-ended, followUpTime = 12: patients and accrual end solved;
#   "duration": 12 months of accrual at relative intensity, followUpTime = 12: patients solved,
#               rates scaled.
# Every value is stored with the exact call that produced it ("call", pasteable into R).

suppressPackageStartupMessages(stopifnot(requireNamespace("rpact", quietly = TRUE)))
get_script_dir <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grepl("^--file=", args)])
  if (length(f) == 1) return(dirname(normalizePath(f)))
  "tests/reference"
}
out_file <- file.path(get_script_dir(), "tte_samplesize_reference.json")
options(scipen = 100)
deparse1line <- function(e) paste(trimws(deparse(e, width.cutoff = 500L)), collapse = " ")

plans <- list(
  written = list(accrualTime = quote(c(0, 12)), accrualIntensity = 50),
  rate = list(accrualTime = 0, accrualIntensity = 50, followUpTime = 12),
  duration = list(accrualTime = quote(c(0, 12)), accrualIntensity = 0.1, followUpTime = 12))
allocations <- list(r1 = 1, r65_35 = quote(65/35))
fields <- c("maxNumberOfEvents", "maxNumberOfSubjects", "analysisTime")
entries <- list()
for (a in names(allocations)) for (p in names(plans)) {
  expr <- as.call(c(list(quote(rpact::getSampleSizeSurvival),
    design = quote(rpact::getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1,
                                                   beta = 0.1)),
    median2 = 12, hazardRatio = 0.7, allocationRatioPlanned = allocations[[a]]),
    plans[[p]], list(dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)))
  obj <- eval(expr)
  for (f in fields) {
    val <- as.numeric(obj[[f]])
    stopifnot(length(val) == 1, is.finite(val))
    entries[[length(entries) + 1L]] <- list(
      id = paste(p, a, f, sep = "_"), plan = p, allocation = a, field = f,
      call = paste0(deparse1line(expr), "$", f), value = val)
  }
}
num <- function(x) sprintf("%.17g", x)
str_json <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
item <- function(e) paste0("    {", paste(
  c(paste0("\"id\": ", str_json(e$id)), paste0("\"plan\": ", str_json(e$plan)),
    paste0("\"allocation\": ", str_json(e$allocation)), paste0("\"field\": ", str_json(e$field)),
    paste0("\"call\": ", str_json(e$call)), paste0("\"value\": ", num(e$value))),
  collapse = ", "), "}")
meta <- paste0("  \"meta\": {\"generated_by\": \"Rscript tests/reference/make_tte_samplesize_reference.R\", ",
               "\"rpact\": ", str_json(as.character(utils::packageVersion("rpact"))), ", ",
               "\"r_version\": ", str_json(R.version.string), "}")
writeLines(c("{", paste0(meta, ","), "  \"values\": [",
             paste(vapply(entries, item, ""), collapse = ",\n"), "  ]", "}"), out_file)
cat("wrote", out_file, "\n")
