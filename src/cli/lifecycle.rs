//! What the lifecycle commands share: the write options and how a report is shown.

use modelreg::ops::lifecycle::{LifecycleReport, PromotionInfo, WriteOptions};
use modelreg::state::PromotionStatus;

use super::context::Context;

#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// Write and sign the record but do not commit it
    #[arg(long)]
    no_commit: bool,
    /// Check everything and show what would be written; write nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

impl WriteArgs {
    pub fn options(&self) -> WriteOptions {
        WriteOptions { commit: !self.no_commit, dry_run: self.dry_run }
    }
}

/// Prints a lifecycle report: JSON on stdout, or a few status lines on stderr.
pub fn show(ctx: &Context, args: &WriteArgs, headline: String, report: &LifecycleReport) -> u8 {
    if args.json {
        ctx.ui.json(report);
        return 0;
    }
    let ui = &ctx.ui;
    let prefix = if report.dry_run { "dry run: " } else { "" };
    ui.status(format!("{prefix}{headline}"));
    for gate in &report.gates {
        let mark = if gate.passed { "ok" } else { "FAILED" };
        ui.status(format!("  gate       {}: {mark} ({})", gate.gate, gate.detail));
    }
    if let Some(promotion) = &report.promotion {
        for line in promotion_lines(promotion, report.model.as_str()) {
            ui.status(format!("  {line}"));
        }
    }
    if let Some(path) = report.record.as_ref().filter(|_| !report.dry_run) {
        ui.status(format!("  record     {path}"));
    }
    match &report.commit {
        Some(commit) => ui.status(format!("  committed  {}", &commit[..12.min(commit.len())])),
        None if !report.dry_run => ui.status("  not committed (--no-commit)"),
        None => {}
    }
    0
}

/// Where a promotion stands, in a few aligned lines (also used by `show`).
pub fn promotion_lines(p: &PromotionInfo, model: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let status = match p.status {
        PromotionStatus::Effective => format!("took effect: v{} into {}", p.version, p.stage),
        PromotionStatus::Pending => format!(
            "PENDING: {} of {} approval(s), {} more needed",
            p.approvals.len(),
            p.approvals_required,
            p.approvals_missing
        ),
        PromotionStatus::Superseded => "superseded: never took effect".into(),
    };
    lines.push(format!("status     {status}"));
    lines.push(format!("proposed   by {} ({})", p.proposer.owner, p.proposer.key));
    if !p.approvals.is_empty() {
        let who: Vec<String> = p.approvals.iter().map(|a| format!("{} ({})", a.owner, a.key)).collect();
        lines.push(format!("approved   by {}", who.join(", ")));
    }
    if p.status == PromotionStatus::Pending {
        if (p.eligible_approvers.len() as u32) < p.approvals_missing {
            lines.push(format!(
                "warning    only {} key(s) can still approve, {} more approval(s) needed: an admin must grant `approver:{}`",
                p.eligible_approvers.len(),
                p.approvals_missing,
                p.stage
            ));
        }
        if p.eligible_approvers.is_empty() {
            lines.push(format!("approvers  none left: an admin must grant `approver:{}` to more keys", p.stage));
        } else {
            let who: Vec<String> = p.eligible_approvers.iter().map(|a| format!("{} ({})", a.owner, a.key)).collect();
            lines.push(format!("can approve {}", who.join(", ")));
            lines.push(format!("next       modelreg approve {model}@{} --to {}", p.version, p.stage));
        }
    }
    if p.emergency {
        lines.push("EMERGENCY  gates skipped, signed by an admin".into());
    }
    lines
}
