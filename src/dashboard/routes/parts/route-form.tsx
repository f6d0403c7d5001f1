import type { PublicRoute } from '../../../schemas/routes.ts';
import { type Form, type FormErrors, str } from '../../shared/forms.ts';
import { Csrf, ErrorSummary, type PageMeta } from '../../shared/layout.tsx';
import type { RouteFormOptions } from '../values.ts';
import { HeadersPanel, HealthCheckPanel, UpstreamsPanel } from './backend-panels.tsx';
import { ListenerFieldset } from './listener-fieldset.tsx';
import {
  AclPanel,
  IpFilterPanel,
  PolicyNote,
  PolicyPicker,
  RateLimitPanel,
  RouteLoginPanel,
} from './policy-panels.tsx';
import { PoolPanel } from './pool-panel.tsx';
import { TargetFieldset, TypeFieldset } from './type-target-fieldsets.tsx';

/** Create or edit a route: three steps (type, target, listener), then one panel per access policy. */
export function RouteForm(props: {
  meta: PageMeta;
  route?: PublicRoute | undefined;
  values: Form;
  errors?: FormErrors | undefined;
  options: RouteFormOptions;
}) {
  const { values: v, route, options } = props;
  const e = props.errors?.fields ?? {};
  return (
    <form method="post" action={route ? `/routes/${route.id}` : '/routes'} class="route-form" novalidate>
      <Csrf token={props.meta.csrf} />
      <ErrorSummary summary={props.errors?.summary} />
      <TypeFieldset v={v} e={e} />
      <TargetFieldset v={v} e={e} options={options} />
      <PoolPanel v={v} e={e} options={options} />
      <ListenerFieldset v={v} errors={props.errors} />
      <HeadersPanel v={v} e={e} />
      <UpstreamsPanel v={v} e={e} />
      <HealthCheckPanel v={v} e={e} />
      <PolicyPicker v={v} e={e} options={options} />
      {str(v, 'policy_expressible') === '0' || str(v, 'policy_choice') !== '' ? (
        <PolicyNote v={v} />
      ) : (
        <>
          <AclPanel v={v} e={e} options={options} />
          <IpFilterPanel v={v} e={e} />
          <RateLimitPanel v={v} e={e} />
        </>
      )}
      <RouteLoginPanel
        v={v}
        e={e}
        passwordSet={Boolean(route?.auth_password_set)}
        providers={options.identityProviders}
      />
      <div class="form-actions">
        <button type="submit" class="primary">
          {route ? 'Save route' : 'Create route'}
        </button>
        <a href={route ? `/routes/${route.id}` : '/routes'}>Cancel</a>
      </div>
    </form>
  );
}
