# make_gsd_reference.R -- regenerate tests/reference/gsd_reference.json
#
# Group-sequential boundaries and design characteristics from rpact, the
# reference for simtrial/design (tests/test_design_boundaries.py).  The tests
# never need R: they only read gsd_reference.json.  Regenerate with
#
#     Rscript tests/reference/make_gsd_reference.R
#
# (from anywhere: the output path is resolved relative to this script).
# Debian: apt-get install r-base-core r-cran-rpact.  Only base R writes the JSON.
#
# Every design is produced from a quoted R expression; "call" in the JSON is
# deparse() of exactly the expression evaluated (paste it into R to reproduce),
# "characteristics_call" the getDesignCharacteristics() call on it.
#
# What rpact 3.3.4 computes (read from its source, src/f_design_group_sequential.cpp
# getSpendingValueCpp, and rpact:::.getDesignCharacteristics):
#   * spending: asOF 2*sided*(1 - pnorm(qnorm(1 - alpha/(2*sided))/sqrt(t)));
#     asP alpha*log(1 + (e-1) t); asKD alpha*t^gammaA;
#     asHSD alpha*(1 - exp(-gammaA t))/(1 - exp(-gammaA)); bsOF 2*(1 - pnorm(qnorm(1 - beta/2)/sqrt(t)))
#     (the beta-spending forms are the same with beta, one-sided).
#     For sided = 2 the design is symmetric, both tails together spend the function.
#   * OF / P: criticalValues = c * t^(deltaWT - 1/2), deltaWT = 0 / 0.5, c solved for alpha.
#   * beta spending (one-sided): for a shift (drift) the futility bounds spend
#     beta look by look under that drift; the drift is solved so that the last
#     futility bound equals the last critical value.  bindingFutility = FALSE:
#     critical values computed ignoring the futility bounds; TRUE: re-solved
#     with them.
#   * getDesignCharacteristics: shift = drift^2 giving power 1 - beta (futility
#     bounds obeyed; sided = 2 counts the upper tail only, twoSidedPower =
#     FALSE); nFixed = (qnorm(1 - alpha/sided) + qnorm(1 - beta))^2;
#     inflationFactor = shift/nFixed; averageSampleNumber1/01/0 = expected
#     information / nFixed under drift sqrt(shift), sqrt(shift)/2, 0.
#   * futilityBounds of designs without futility are -6 (C_FUTILITY_BOUNDS_DEFAULT)
#     or NA: written as null here.
# ---------------------------------------------------------------------------

suppressPackageStartupMessages(stopifnot(requireNamespace("rpact", quietly = TRUE)))

get_script_dir <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grepl("^--file=", args)])
  if (length(f) == 1) return(dirname(normalizePath(f)))
  "tests/reference"
}
out_file <- file.path(get_script_dir(), "gsd_reference.json")

options(scipen = 100)
deparse1line <- function(e) paste(trimws(deparse(e, width.cutoff = 500L)), collapse = " ")
arr <- function(x) as.list(as.numeric(x))             # always a JSON array
bounds_or_null <- function(x) lapply(as.numeric(x), function(v) if (is.na(v) || v <= -6) NA else v)

designs <- list()
add_design <- function(id, expr, spec) {
  d <- eval(expr, envir = globalenv())
  ch_expr <- bquote(rpact::getDesignCharacteristics(.(expr)))
  ch <- eval(ch_expr, envir = globalenv())
  ent <- c(list(id = id, call = deparse1line(expr), characteristics_call = deparse1line(ch_expr)),
           spec,
           list(criticalValues = arr(d$criticalValues),
                futilityBounds = bounds_or_null(d$futilityBounds),
                alphaSpent = arr(d$alphaSpent),
                shift = ch$shift,
                inflationFactor = ch$inflationFactor,
                power = arr(ch$power),
                rejectionProbabilities = arr(ch$rejectionProbabilities),
                futilityProbabilities = arr(ch$futilityProbabilities),
                averageSampleNumber1 = ch$averageSampleNumber1,
                averageSampleNumber01 = ch$averageSampleNumber01,
                averageSampleNumber0 = ch$averageSampleNumber0))
  if (!all(is.na(d$betaSpent))) ent$betaSpent <- arr(d$betaSpent)
  designs[[length(designs) + 1L]] <<- ent
}

look_sets <- list(eq2 = c(0.5, 1), eq3 = c(1/3, 2/3, 1), uneq3 = c(0.3, 0.75, 1))
look_expr <- list(eq2 = quote(c(0.5, 1)), eq3 = quote(c(1/3, 2/3, 1)),
                  uneq3 = quote(c(0.3, 0.75, 1)))
efficacy <- list(
  asOF = list(type = "asOF"), asP = list(type = "asP"),
  asHSDm4 = list(type = "asHSD", gamma = -4), asHSD1 = list(type = "asHSD", gamma = 1),
  asKD3 = list(type = "asKD", gamma = 3), asKD1 = list(type = "asKD", gamma = 1),
  OF = list(type = "OF"), P = list(type = "P"))
sides <- list(list(sided = 1L, alpha = 0.025), list(sided = 2L, alpha = 0.05))

design_call <- function(lk, ef, sd, extra = list()) {
  args <- list(kMax = length(look_sets[[lk]]), alpha = sd$alpha, beta = 0.2, sided = sd$sided,
               informationRates = look_expr[[lk]], typeOfDesign = ef$type)
  if (!is.null(ef$gamma)) args$gammaA <- ef$gamma
  args[names(extra)] <- extra
  as.call(c(list(quote(rpact::getDesignGroupSequential)), args))
}
spec_of <- function(lk, ef, sd, beta = 0.2, bs = NULL, binding = FALSE, fut_z = NULL) {
  list(informationRates = arr(look_sets[[lk]]), alpha = sd$alpha, sided = sd$sided, beta = beta,
       typeOfDesign = ef$type, gammaA = if (is.null(ef$gamma)) NA else ef$gamma,
       typeBetaSpending = if (is.null(bs)) "none" else bs$type,
       gammaB = if (is.null(bs$gamma)) NA else bs$gamma,
       bindingFutility = binding,
       futilityBoundsZ = if (is.null(fut_z)) NA else arr(fut_z))
}

# ------------------------------------------------ a. efficacy only: every family
for (lk in names(look_sets)) for (en in names(efficacy)) for (sd in sides) {
  ef <- efficacy[[en]]
  add_design(sprintf("%s_%s_sided%d", en, lk, sd$sided), design_call(lk, ef, sd),
             spec_of(lk, ef, sd))
}

# ------------------------------------------------ b. beta-spending futility (one-sided)
betas <- list(bsOF_b02 = list(type = "bsOF", beta = 0.2),
              bsHSDm2_b01 = list(type = "bsHSD", gamma = -2, beta = 0.1))
one <- sides[[1]]
for (lk in names(look_sets)) for (en in c("asOF", "asP", "asHSDm4", "asKD3"))
  for (bn in names(betas)) for (binding in c(FALSE, TRUE)) {
    ef <- efficacy[[en]]; bs <- betas[[bn]]
    extra <- list(beta = bs$beta, typeBetaSpending = bs$type, bindingFutility = binding)
    if (!is.null(bs$gamma)) extra$gammaB <- bs$gamma
    add_design(sprintf("%s_%s_%s_%s", en, lk, bn, if (binding) "binding" else "nonbinding"),
               design_call(lk, ef, one, extra),
               spec_of(lk, ef, one, beta = bs$beta, bs = bs, binding = binding))
  }

# ------------------------------------------------ c. futility bounds on the z scale
fut_z <- list(eq2 = 0, eq3 = c(0, 0.5), uneq3 = c(-0.5, 0.8))
for (lk in names(look_sets)) for (en in c("asOF", "OF", "P", "asHSDm4"))
  for (binding in c(FALSE, TRUE)) {
    ef <- efficacy[[en]]
    extra <- list(futilityBounds = as.call(c(quote(c), as.list(fut_z[[lk]]))),
                  bindingFutility = binding)
    if (length(fut_z[[lk]]) == 1) extra$futilityBounds <- fut_z[[lk]]
    add_design(sprintf("%s_%s_futz_%s", en, lk, if (binding) "binding" else "nonbinding"),
               design_call(lk, ef, one, extra),
               spec_of(lk, ef, one, binding = binding, fut_z = fut_z[[lk]]))
  }

# ------------------------------------------------ d. no early efficacy stop
noeff <- list(type = "noEarlyEfficacy")
add_design("noEarlyEfficacy_uneq3_sided1", design_call("uneq3", noeff, one), spec_of("uneq3", noeff, one))
add_design("noEarlyEfficacy_uneq3_bsOF_b02_nonbinding",
           design_call("uneq3", noeff, one, list(typeBetaSpending = "bsOF")),
           spec_of("uneq3", noeff, one, bs = betas$bsOF_b02))

# ------------------------------------------------ e. power of a design at a given drift
# getPowerMeans with normalApproximation = TRUE is the canonical normal model:
# drift theta = alternative/stDev * sqrt(N r)/(1 + r), r = allocationRatioPlanned.
power_cases <- list()
add_power <- function(id, lk, ef, sd, extra, spec, alternative, stDev, N, r) {
  design_expr <- design_call(lk, ef, sd, extra)
  expr <- bquote(rpact::getPowerMeans(.(design_expr), groups = 2, normalApproximation = TRUE,
                                      alternative = .(alternative), stDev = .(stDev),
                                      maxNumberOfSubjects = .(N), allocationRatioPlanned = .(r)))
  p <- eval(expr, envir = globalenv())
  power_cases[[length(power_cases) + 1L]] <<- list(
    id = id, call = deparse1line(expr), spec = spec,
    drift = alternative / stDev * sqrt(N * r) / (1 + r), maxNumberOfSubjects = N,
    rejectPerStage = arr(p$rejectPerStage), futilityPerStage = arr(p$futilityPerStage),
    overallReject = as.numeric(p$overallReject),
    expectedNumberOfSubjects = as.numeric(p$expectedNumberOfSubjects))
}
add_power("power_asOF_uneq3_bsOF_nonbinding_alloc2", "uneq3", efficacy$asOF, one,
          list(typeBetaSpending = "bsOF"),
          spec_of("uneq3", efficacy$asOF, one, bs = betas$bsOF_b02), 10, 25, 300, 2)
add_power("power_asP_eq3_futz_binding_alloc1", "eq3", efficacy$asP, one,
          list(futilityBounds = quote(c(0, 0.5)), bindingFutility = TRUE),
          spec_of("eq3", efficacy$asP, one, binding = TRUE, fut_z = c(0, 0.5)), 5, 20, 400, 1)
add_power("power_OF_eq3_sided2_alloc1", "eq3", efficacy$OF, sides[[2]], list(),
          spec_of("eq3", efficacy$OF, sides[[2]]), 8, 25, 250, 1)

# ------------------------------------------- check that each "call" text
# re-parsed and evaluated reproduces its stored critical values / power.
for (e in designs) {
  v <- eval(parse(text = e$call), envir = new.env())$criticalValues
  stopifnot(isTRUE(all.equal(as.numeric(v), unlist(e$criticalValues), tolerance = 1e-14)))
}
for (e in power_cases) {
  v <- eval(parse(text = e$call), envir = new.env())$overallReject
  stopifnot(isTRUE(all.equal(as.numeric(v), e$overallReject, tolerance = 1e-14)))
}

# ------------------------------------------------------------ write JSON
json_str <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
to_json <- function(v) {
  if (is.list(v)) {
    if (is.null(names(v))) return(paste0("[", paste(vapply(v, to_json, ""), collapse = ", "), "]"))
    return(paste0("{", paste(json_str(names(v)), vapply(v, to_json, ""), sep = ": ", collapse = ", "), "}"))
  }
  stopifnot(length(v) == 1)
  if (is.logical(v) && !is.na(v)) return(if (v) "true" else "false")
  if (is.character(v)) return(json_str(v))
  if (is.na(v) || !is.finite(v)) return("null")
  sprintf("%.15g", v)
}
meta <- list(generated_by = "Rscript tests/reference/make_gsd_reference.R",
             date = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"),
             r_version = R.version.string,
             rpact = utils::packageDescription("rpact")$Version,
             number_format = "%.15g",
             null_bounds = "futilityBounds null: no futility bound at that look (rpact NA or -6)")
lines <- c("{", paste0("  \"meta\": ", to_json(meta), ","), "  \"designs\": [")
lines <- c(lines, paste0("    ", vapply(designs, to_json, ""),
                         c(rep(",", length(designs) - 1), "")), "  ],", "  \"power_means\": [")
lines <- c(lines, paste0("    ", vapply(power_cases, to_json, ""),
                         c(rep(",", length(power_cases) - 1), "")), "  ]", "}")
writeLines(lines, out_file)
cat(sprintf("wrote %d designs and %d power cases to %s\n", length(designs), length(power_cases), out_file))
