"use client";

import Link from "next/link";
import { useId } from "react";
import s from "../admin/admin.module.css";
import { RecoveryCodes } from "./recovery-codes";
import { RecoveryCodesCard, SetupCard, TurnOffCard } from "./two-factor-cards";
import { useTwoFactor, type TwoFactorStatus } from "./two-factor-state";

/** Set up (secret + otpauth URL → confirm with a code → recovery codes once), or turn off / renew codes. */
export function TwoFactorSettings({ status, required }: { status: TwoFactorStatus; required: boolean }) {
  const id = useId();
  const tf = useTwoFactor();
  return (
    <>
      <p role="status" className={s.status}>
        {tf.note}
      </p>
      {tf.codes ? <RecoveryCodes codes={tf.codes} onDone={tf.closeCodes} /> : null}
      {tf.codes && required ? (
        <p>
          <Link href="/" className="button primary">
            Continue to Beacon
          </Link>
        </p>
      ) : null}
      {!status.enabled ? (
        <SetupCard tf={tf} status={status} id={id} />
      ) : (
        <>
          <RecoveryCodesCard tf={tf} remaining={status.recoveryCodesRemaining} id={id} />
          <TurnOffCard tf={tf} required={required} id={id} />
        </>
      )}
    </>
  );
}
