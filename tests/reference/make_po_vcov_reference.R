# make_po_vcov_reference.R -- regenerate tests/reference/po_vcov_reference.json
#
# The variance of the proportional-odds log odds ratio, which the odds-ratio margin's Wald
# test uses (simtrial.kernels.ordinal.po_lr_from_counts, its third value), as R
# vcov(MASS::polr(...)) gives it: the inverse of the observed information (optim's Hessian of
# the negative log-likelihood at the fit), the (x, x) element. The data sets are the "lr"
# cases of po_reference.json (counts per level and arm). optim is run to reltol 1e-15 and the
# Hessian's finite-difference step (ndeps) is 1e-6 instead of 1e-3, so that R's numerical
# Hessian is accurate far beyond the 1e-6 the test asks. The tests never need R:
#
#     Rscript tests/reference/make_po_vcov_reference.R
#
# Debian: apt-get install r-base-core r-cran-jsonlite (MASS ships with R). A second.

suppressMessages({library(MASS); library(jsonlite)})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
cases <- fromJSON(file.path(here, "po_reference.json"), simplifyVector = FALSE)$lr

out <- lapply(cases, function(case) {
  counts_t <- unlist(case$counts_t); counts_c <- unlist(case$counts_c)
  k <- length(counts_t)
  d <- data.frame(y = factor(rep(seq_len(k), 2), levels = seq_len(k)),
                  x = rep(c(1, 0), each = k), w = c(counts_t, counts_c))
  d <- d[d$w > 0, ]
  d$y <- droplevels(d$y)
  npar <- nlevels(d$y)  # beta and nlevels - 1 cut points
  fit <- polr(y ~ x, data = d, weights = w, Hess = TRUE,
              control = list(reltol = 1e-15, maxit = 10000, ndeps = rep(1e-6, npar)))
  list(control = case$control, counts_t = counts_t, counts_c = counts_c,
       beta = unname(coef(fit)["x"]), variance = vcov(fit)["x", "x"])
})
meta <- list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
             call = paste("polr(y ~ x, weights = w, Hess = TRUE, control = list(reltol =",
                          "1e-15, ndeps = 1e-6)); vcov(fit)['x', 'x']"))
writeLines(toJSON(list(meta = meta, cases = out), auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "po_vcov_reference.json"))
