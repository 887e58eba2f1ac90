import csv, collections
def load(f):
    return {r['rec_id'].strip(): r for r in csv.DictReader(open(f), skipinitialspace=True)}
A=load('A.csv'); B=load('B.csv')
norm=lambda s:(s or '').strip().lower().replace(' ','')
def jw(s1,s2):
    if s1==s2: return 1.0
    if not s1 or not s2: return 0.0
    l1,l2=len(s1),len(s2); md=max(max(l1,l2)//2-1,0); m1=[False]*l1; m2=[False]*l2; m=0
    for i,c in enumerate(s1):
        for j in range(max(0,i-md),min(l2,i+md+1)):
            if not m2[j] and s2[j]==c: m1[i]=m2[j]=True; m+=1; break
    if m==0: return 0.0
    t=0;k=0
    for i in range(l1):
        if m1[i]:
            while not m2[k]: k+=1
            if s1[i]!=s2[k]: t+=1
            k+=1
    j=(m/l1+m/l2+(m-t/2)/m)/3
    p=0
    for a,b in zip(s1[:4],s2[:4]):
        if a==b: p+=1
        else: break
    return j+p*0.1*(1-j)
byg=collections.defaultdict(int); bys=collections.defaultdict(int)
for r in A.values(): byg[norm(r['given_name'])]+=1; bys[norm(r['surname'])]+=1
b10=0.0; n=0; bound=0.0; one=0; zero=0
for bid,q in B.items():
    tid=bid.replace('-dup-0','-org'); t=A[tid]; n+=1
    qg,qs=norm(q['given_name']),norm(q['surname']); tg,ts=norm(t['given_name']),norm(t['surname'])
    best=(-1,)
    for (a,b) in [(qg,qs),(qs,qg)]:
        ag = a!='' and jw(a,tg)>=0.8 ; asn = b!='' and jw(b,ts)>=0.8
        best=max(best,(int(ag)+int(asn), ag, asn, a, b))
    k,ag,asn,a,b=best
    if k==2: bound+=1; b10+=1; continue
    if k==0: zero+=1; bound+=1.0/5000; b10+=10/5000; continue
    one+=1
    if ag: rivals=byg[a] - (1 if tg==a else 0)
    else: rivals=bys[b] - (1 if ts==b else 0)
    bound+=1.0/(1+max(rivals,0)); b10+=min(1.0,10.0/(1+max(rivals,0)))
print('queries with one part agreeing', one, 'none', zero)
print('optimistic name-only R@1 ceiling', bound/n)
print('R@10 ceiling', b10/n)
