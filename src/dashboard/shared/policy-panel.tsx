import type { PropsWithChildren } from 'hono/jsx';
import { Check } from './controls.tsx';

/**
 * One access policy of a route (peer ACL, IP filter, rate limit, route login): a fieldset whose checkbox turns
 * the policy on, and a body the stylesheet hides while it is off. Every policy fieldset is this component, so
 * they look and behave the same and a new policy is one more use of it.
 */
export function PolicyPanel(
  props: PropsWithChildren<{
    legend: string;
    /** The checkbox field that turns the policy on (`acl_enabled`, …). */
    toggle: string;
    toggleLabel: string;
    on: boolean;
    /** Extra classes on the fieldset, e.g. `http-only`. */
    class?: string;
    /** Extra classes on the body, e.g. `cols`. */
    bodyClass?: string;
  }>,
) {
  return (
    <fieldset class={props.class ? `panel ${props.class}` : 'panel'}>
      <legend>{props.legend}</legend>
      <Check name={props.toggle} label={props.toggleLabel} on={props.on} toggle />
      <div class={props.bodyClass ? `panel-body ${props.bodyClass}` : 'panel-body'}>{props.children}</div>
    </fieldset>
  );
}
