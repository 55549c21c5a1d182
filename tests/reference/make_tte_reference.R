# make_tte_reference.R -- regenerate tests/reference/tte_reference.json
#
# Time-to-event reference values from rpact (getSampleSizeSurvival, getPowerSurvival) that
# tests/test_events_closed_forms.py compares simtrial.events against.  The tests never need R;
# R is needed only to regenerate the file:
#
#     Rscript tests/reference/make_tte_reference.R
#
# (from anywhere: the output path is resolved relative to this script).  Debian:
# apt-get install r-base-core r-cran-rpact.  Only base R writes the JSON.
#
# Every value comes from a quoted R expression: "call" is deparse() of exactly the expression
# evaluated (plus "$field"), so it can be pasted into R; the script re-evaluates each call text
# and checks that it reproduces the value.  Each case also stores its arguments ("cases", the
# evaluated argument values) so that the tests build the same model without re-typing it.
#
# Arms: rpact's group 1 is TREATMENT (lambda1 = hazardRatio * lambda2, dropoutRate1) and group 2
# is CONTROL (lambda2, median2, pi2, dropoutRate2); allocationRatioPlanned = n1/n2, so the
# 65:35 treatment:control allocation is allocationRatioPlanned = 65/35.
#
# ---------------------------------------------------------------------------------------------
# What rpact (3.3.4) computes -- read from body(rpact::getSampleSizeSurvival),
# rpact:::.getSampleSizeFixedSurvival, rpact:::.getEventsFixed, rpact:::.getEventProbabilities,
# rpact:::.getEventProbabilitiesGroupwise, rpact:::.getEventProbabilityFunction and
# body(rpact::getPowerSurvival):
#
# Events (fixed design, kMax = 1), r = allocationRatioPlanned, HR = hazardRatio, thetaH0 = 1,
# z = qnorm(1 - alpha/sided) + qnorm(1 - beta):
#   "Schoenfeld" (the DEFAULT):  D = z^2 (1 + r)^2 / (r log(HR)^2)
#   "Freedman":                  D = z^2 (1 + r HR)^2 / (r (1 - HR)^2)
#   "HsiehFreedman":             D = z^2 (1 + HR)^2 (1 + r)^2 / (4 r (1 - HR)^2)
#   unrounded (maxNumberOfEvents = eventsFixed = expectedEventsH1).  With sided = 2 and the
#   default twoSidedPower = FALSE the far tail is ignored.
# Power at D events (getPowerSurvival): theta = sqrt(r)/(1 + r) log(HR) (Schoenfeld),
#   sqrt(r) (HR - 1)/(r HR + 1) (Freedman), sqrt(4r)/(1 + r) (HR - 1)/(HR + 1) (HsiehFreedman);
#   overallReject = Phi(sqrt(D) |theta| - qnorm(1 - alpha)) for kMax = 1, one-sided (with
#   directionUpper = FALSE for HR < 1); sided = 2 adds the far tail Phi(-sqrt(D)|theta| - c).
# Event probability of a patient followed for u months (.getEventProbabilityFunction): with
#   piecewise hazard lambda(s) and exponential dropout phi = -log(1 - dropoutRate)/dropoutTime,
#   F(u) = int_0^u lambda(s) exp(-Lambda(s) - phi s) ds (dropout a competing risk), in closed
#   form piece by piece.
# Expected events by calendar time t (.getEventProbabilitiesGroupwise/Overall): accrual
#   density = accrualIntensity / total (piecewise uniform), and for each arm
#   P_g(t) = sum_k density_k * integrate(F_g, t - b_k, t - a_k) (entries after t excluded),
#   NUMERICAL quadrature (stats::integrate, rel.tol ~1.2e-4); overall
#   omega(t) = (r P_1 + P_2)/(1 + r); expected events = maxNumberOfSubjects * omega(t)
#   (Lachin & Foulkes 1986).
# Patients and duration (.getSampleSizeFixedSurvival, getSampleSizeSurvival):
#   * relative accrualIntensity (all < 1), accrual end and followUpTime given:
#       maxNumberOfSubjects = D / omega(accrual end + followUpTime)            (case "fu_*")
#   * absolute accrualIntensity with an accrual end (N fixed): analysisTime is the root of
#       D / omega(t) = N (.getOneDimensionalRoot, tolerance 1e-6)             (case "abs_*")
#   * absolute intensities, open-ended last period, followUpTime given: N (so the accrual end)
#       is searched so that follow-up = followUpTime: bisection to 1e-4 patients with dropout,
#       .getOneDimensionalRootBisectionMethod (tolerance 1e-4) without    (case "open_*")
# ---------------------------------------------------------------------------------------------

suppressPackageStartupMessages(stopifnot(requireNamespace("rpact", quietly = TRUE)))

get_script_dir <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grepl("^--file=", args)])
  if (length(f) == 1) return(dirname(normalizePath(f)))
  "tests/reference"
}
out_file <- file.path(get_script_dir(), "tte_reference.json")
PKG_RPACT <- paste("rpact", utils::packageDescription("rpact")$Version)

options(scipen = 100)
deparse1line <- function(e) paste(trimws(deparse(e, width.cutoff = 500L)), collapse = " ")

entries <- list()
cases <- list()

# Evaluate the call fun(design, args...) once; add one entry per field ("<call>$<field>") and
# one case record with the evaluated arguments.
add_case <- function(id, fun, design, args, fields, note = NULL) {
  expr <- as.call(c(list(fun, design = design), args))
  warns <- character(0)
  obj <- withCallingHandlers(eval(expr, envir = globalenv()),
                             warning = function(w) {
                               warns <<- c(warns, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  call_text <- deparse1line(expr)
  for (f in fields) {
    val <- as.numeric(obj[[f]])
    stopifnot(length(val) == 1, is.finite(val))
    ent <- list(id = paste0(id, "_", f), case = id, field = f,
                call = paste0(call_text, "$", f), value = val, package = PKG_RPACT)
    if (!is.null(note)) ent$note <- note
    if (length(warns)) ent$warning <- paste(unique(warns), collapse = "; ")
    entries[[length(entries) + 1L]] <<- ent
  }
  d <- eval(design)
  inputs <- c(list(alpha = d$alpha, sided = d$sided, beta = d$beta),
              lapply(args, function(a) eval(a, envir = globalenv())))
  cases[[length(cases) + 1L]] <<- list(id = id, "function" = deparse1line(fun),
                                       call = call_text, inputs = inputs)
  invisible(obj)
}

design_one <- quote(rpact::getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1, beta = 0.1))
design_two <- quote(rpact::getDesignGroupSequential(kMax = 1, alpha = 0.05, sided = 2, beta = 0.1))
ss <- quote(rpact::getSampleSizeSurvival)
pw <- quote(rpact::getPowerSurvival)
ss_fields <- c("maxNumberOfEvents", "maxNumberOfSubjects", "nFixed1", "nFixed2",
               "expectedEventsH1", "analysisTime", "studyDuration", "followUpTime")
pw_fields <- c("overallReject", "analysisTime", "studyDuration", "maxNumberOfSubjects")

allocations <- list(r1 = 1, r65_35 = quote(65/35))
piecewise2 <- list(piecewiseSurvivalTime = quote(c(0, 6, 12)), lambda2 = quote(c(0.03, 0.06, 0.04)))

for (a in names(allocations)) {
  alloc <- list(hazardRatio = 0.7, allocationRatioPlanned = allocations[[a]])
  # exponential control (median 12), relative accrual over 12 months, 12 months follow-up
  add_case(paste0("ss_exp_median12_fu12_", a), ss, design_one,
           c(list(median2 = 12), alloc,
             list(accrualTime = quote(c(0, 12)), accrualIntensity = 0.1, followUpTime = 12,
                  dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)), ss_fields)
  # exponential control (40% events by 12 months), 60/month for 12 months: analysis time
  add_case(paste0("ss_exp_pi2_abs_", a), ss, design_one,
           c(list(pi2 = 0.4, eventTime = 12), alloc,
             list(accrualTime = quote(c(0, 12)), accrualIntensity = 60,
                  dropoutRate1 = 0.1, dropoutRate2 = 0.05, dropoutTime = 12)), ss_fields)
  # exponential control, 30/month open-ended, 12 months follow-up: patients solved
  add_case(paste0("ss_exp_median12_open_", a), ss, design_one,
           c(list(median2 = 12), alloc,
             list(accrualTime = 0, accrualIntensity = 30, followUpTime = 12,
                  dropoutRate1 = 0.05, dropoutRate2 = 0.1, dropoutTime = 12)), ss_fields)
  # piecewise-exponential control, piecewise absolute accrual (600 patients): analysis time
  add_case(paste0("ss_pw_abs_", a), ss, design_one,
           c(piecewise2, alloc,
             list(accrualTime = quote(c(0, 3, 12)), accrualIntensity = quote(c(20, 60)),
                  dropoutRate1 = 0.05, dropoutRate2 = 0.1, dropoutTime = 12)), ss_fields)
  # piecewise-exponential control, piecewise relative accrual over 18 months, follow-up 12
  add_case(paste0("ss_pw_fu12_", a), ss, design_one,
           c(piecewise2, alloc,
             list(accrualTime = quote(c(0, 6, 18)), accrualIntensity = quote(c(0.05, 0.1)),
                  followUpTime = 12, dropoutRate1 = 0.05, dropoutRate2 = 0.05,
                  dropoutTime = 12)), ss_fields)
  # piecewise-exponential control, 20/month then 40/month open-ended, follow-up 12
  add_case(paste0("ss_pw_open_", a), ss, design_one,
           c(piecewise2, alloc,
             list(accrualTime = quote(c(0, 6)), accrualIntensity = quote(c(20, 40)),
                  followUpTime = 12, dropoutRate1 = 0.05, dropoutRate2 = 0.1,
                  dropoutTime = 12)), ss_fields)
  # the other events formulas (events do not depend on accrual)
  for (type in c("Freedman", "HsiehFreedman")) {
    add_case(paste0("ss_exp_median12_fu12_", tolower(type), "_", a), ss, design_one,
             c(list(typeOfComputation = type, median2 = 12), alloc,
               list(accrualTime = quote(c(0, 12)), accrualIntensity = 0.1, followUpTime = 12)),
             c("maxNumberOfEvents", "maxNumberOfSubjects"))
  }
  add_case(paste0("ss_exp_median12_fu12_twosided_", a), ss, design_two,
           c(list(median2 = 12), alloc,
             list(accrualTime = quote(c(0, 12)), accrualIntensity = 0.1, followUpTime = 12)),
           c("maxNumberOfEvents", "maxNumberOfSubjects"))
}

# power at a given number of events (Schoenfeld's 331 and 364 events, rounded up)
for (a in names(allocations)) {
  events <- if (a == "r1") 331 else 364
  base <- list(median2 = 12, hazardRatio = 0.7, allocationRatioPlanned = allocations[[a]])
  for (type in c("Schoenfeld", "Freedman")) {
    add_case(sprintf("pw_exp_%s_events%d_%s", tolower(type), events, a), pw, design_one,
             c(list(typeOfComputation = type), base, list(directionUpper = FALSE),
               list(accrualTime = quote(c(0, 12)), accrualIntensity = 50,
                    maxNumberOfEvents = events, dropoutRate1 = 0.05, dropoutRate2 = 0.05,
                    dropoutTime = 12)), pw_fields)
  }
  add_case(sprintf("pw_exp_twosided_events%d_%s", events, a), pw, design_two,
           c(base, list(accrualTime = quote(c(0, 12)), accrualIntensity = 50,
                        maxNumberOfEvents = events)), pw_fields)
  add_case(sprintf("pw_pw_events%d_%s", events, a), pw, design_one,
           c(piecewise2, list(hazardRatio = 0.7, allocationRatioPlanned = allocations[[a]],
                              directionUpper = FALSE),
             list(accrualTime = quote(c(0, 3, 12)), accrualIntensity = quote(c(20, 60)),
                  maxNumberOfEvents = events, dropoutRate1 = 0.05, dropoutRate2 = 0.1,
                  dropoutTime = 12)), pw_fields)
}

# ------------------------------------------------ self-check of the formulas in the header
value_of <- function(id) entries[[which(vapply(entries, `[[`, "", "id") == id)]]$value
z <- qnorm(1 - 0.025) + qnorm(0.9)
for (a in names(allocations)) {
  r <- eval(allocations[[a]]); hr <- 0.7
  stopifnot(isTRUE(all.equal(value_of(paste0("ss_exp_median12_fu12_", a, "_maxNumberOfEvents")),
                             z^2 * (1 + r)^2 / (r * log(hr)^2), tolerance = 1e-13)))
  stopifnot(isTRUE(all.equal(
    value_of(paste0("ss_exp_median12_fu12_freedman_", a, "_maxNumberOfEvents")),
    z^2 * (1 + r * hr)^2 / (r * (1 - hr)^2), tolerance = 1e-13)))
  events <- if (a == "r1") 331 else 364
  stopifnot(isTRUE(all.equal(
    value_of(sprintf("pw_exp_schoenfeld_events%d_%s_overallReject", events, a)),
    pnorm(sqrt(events * r) / (1 + r) * abs(log(hr)) - qnorm(0.975)), tolerance = 1e-12)))
}

# ------------------------------------------- re-evaluating each call text reproduces its value
for (e in entries) {
  v <- suppressWarnings(as.numeric(eval(parse(text = e$call), envir = new.env())))
  if (!isTRUE(all.equal(v, e$value, tolerance = 1e-14)))
    stop("call text does not reproduce value for ", e$id)
}

# ---------------------------------------------------------------------------- write JSON
json_str <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
json_num <- function(v) if (is.na(v) || !is.finite(v)) "null" else sprintf("%.17g", v)
json_val <- function(v) {
  if (is.character(v) && length(v) == 1) return(json_str(v))
  if (is.logical(v) && length(v) == 1) return(if (is.na(v)) "null" else tolower(as.character(v)))
  if (length(v) == 1) return(json_num(v))
  paste0("[", paste(vapply(v, json_num, ""), collapse = ", "), "]")
}
json_obj <- function(x) {
  parts <- vapply(names(x), function(k) {
    v <- x[[k]]
    paste0(json_str(k), ": ", if (is.list(v)) json_obj(v) else json_val(v))
  }, "")
  paste0("{", paste(parts, collapse = ", "), "}")
}

meta <- list(
  generated_by = "Rscript tests/reference/make_tte_reference.R",
  date = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"),
  r_version = R.version.string,
  rpact = utils::packageDescription("rpact")$Version,
  platform = R.version$platform,
  number_format = "%.17g (round-trips every double)",
  arms = "group 1 = treatment (lambda1 = hazardRatio * lambda2, dropoutRate1), group 2 = control; allocationRatioPlanned = n1/n2 (65:35 treatment:control = 65/35)",
  dropout = "exponential: hazard -log(1 - dropoutRate)/dropoutTime"
)
lines <- c("{", paste0("  \"meta\": ", json_obj(meta), ","), "  \"cases\": [")
for (i in seq_along(cases))
  lines <- c(lines, paste0("    ", json_obj(cases[[i]]), if (i < length(cases)) "," else ""))
lines <- c(lines, "  ],", "  \"values\": [")
for (i in seq_along(entries))
  lines <- c(lines, paste0("    ", json_obj(entries[[i]]), if (i < length(entries)) "," else ""))
lines <- c(lines, "  ]", "}")
writeLines(lines, out_file)
cat(sprintf("wrote %d values of %d cases to %s\n", length(entries), length(cases), out_file))
